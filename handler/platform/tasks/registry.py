"""Task functions registered under stable names: the only code a message can run."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, overload

import anyio.to_thread

from handler.platform.tasks.arguments import ArgumentValidator
from handler.platform.tasks.errors import PoisonMessage, TaskArgumentError, UnknownTask

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class TaskSpec:
    name: str
    func: Callable[..., Any]
    signature: inspect.Signature = field(repr=False)
    is_async: bool
    arguments: ArgumentValidator = field(repr=False)

    def check(self, args: Sequence[Any], kwargs: Mapping[str, Any]) -> inspect.BoundArguments:
        """Bind JSON arguments to the signature and validate them against the annotations
        (`arguments`); raises `TaskArgumentError`."""
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise TaskArgumentError(f"task {self.name!r}: {exc}") from None
        return self.arguments.validate(bound)

    def bind(self, args: Sequence[Any], kwargs: Mapping[str, Any]) -> inspect.BoundArguments:
        """`check`, for a message: arguments that do not bind or validate are a poison
        message (retrying would only fail again)."""
        try:
            return self.check(args, kwargs)
        except TaskArgumentError as exc:
            raise PoisonMessage("bad-arguments", str(exc)) from exc

    def call(self, bound: inspect.BoundArguments) -> Any:
        """Run a sync task in this thread, or return an async task's coroutine."""
        return self.func(*bound.args, **bound.kwargs)

    async def call_async(self, bound: inspect.BoundArguments) -> Any:
        """Await an async task; run a sync one in a worker thread (the event loop stays free)."""
        if self.is_async:
            return await self.func(*bound.args, **bound.kwargs)
        return await anyio.to_thread.run_sync(lambda: self.func(*bound.args, **bound.kwargs))


class TaskRegistry:
    """Names to task functions. A message names a task; it never names code to import."""

    def __init__(self) -> None:
        self._by_name: dict[str, TaskSpec] = {}
        self._by_func: dict[Callable[..., Any], TaskSpec] = {}

    @overload
    def task(self, func: F, /) -> F: ...
    @overload
    def task(self, func: None = None, /, *, name: str | None = None) -> Callable[[F], F]: ...

    def task(self, func: Callable[..., Any] | None = None, /, *, name: str | None = None) -> Any:
        """`@task` or `@task(name="...")`: register under the function's name (or `name`).

        The name is what goes on the queue, so keep it stable across refactors; the
        function is returned unchanged (call it directly in tests).
        """

        def register(fn: Callable[..., Any]) -> Callable[..., Any]:
            self.add(fn, name=name or fn.__name__)
            return fn

        return register(func) if func is not None else register

    def add(self, func: Callable[..., Any], *, name: str) -> TaskSpec:
        existing = self._by_name.get(name)
        if existing is not None and _origin(existing.func) != _origin(func):
            owner = _origin(existing.func)
            raise ValueError(f"task name {name!r} is already registered by {owner}")
        signature = inspect.signature(func)
        spec = TaskSpec(
            name,
            func,
            signature,
            inspect.iscoroutinefunction(func),
            ArgumentValidator(name, func, signature),
        )
        self._by_name[name] = spec
        self._by_func[func] = spec
        return spec

    def get(self, name: str) -> TaskSpec:
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownTask(f"no task is registered as {name!r}") from None

    def spec_for(self, func: Callable[..., Any]) -> TaskSpec:
        try:
            return self._by_func[func]
        except (KeyError, TypeError):
            raise UnknownTask(
                f"{getattr(func, '__qualname__', func)!r} is not a registered task: "
                "decorate it with @task"
            ) from None


def _origin(func: Callable[..., Any]) -> str:
    return f"{func.__module__}.{func.__qualname__}"


# The process-wide registry that `@task` fills and the worker reads.
registry = TaskRegistry()
task = registry.task
