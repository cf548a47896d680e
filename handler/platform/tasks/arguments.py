"""Task arguments checked against the task's annotations, with pydantic.

A task travels as JSON, so its arguments are checked as JSON: each one is validated in
pydantic's strict JSON mode against its parameter's annotation (one `TypeAdapter` per
parameter, built on first use). A `str` parameter refuses `5`, an `int` refuses `"5"` and
`5.5`; a `datetime` takes an ISO string and a model or dataclass takes an object, as they
would from a request body. The task is called with the validated values, so it gets the
types it declares, locally and on AWS alike.

The same check runs in `add_task` (the caller's mistake: `TaskArgumentError` at once)
and in the worker (a message that can never succeed: dead-lettered as `bad-arguments`,
never retried). An unannotated parameter, or one annotated `Any`, takes any JSON value.
"""

from __future__ import annotations

import inspect
import json
import typing
from collections.abc import Callable
from typing import Any

from pydantic import TypeAdapter, ValidationError

from handler.platform.tasks.errors import TaskArgumentError

_VARIADIC = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)


class ArgumentValidator:
    """Validates a task's bound arguments against its annotations."""

    def __init__(self, name: str, func: Callable[..., Any], signature: inspect.Signature) -> None:
        self._name = name
        self._signature = signature
        try:
            # Resolved now, at registration (import): a name the annotations use but the
            # module does not define at run time fails here, not in a request later.
            hints = typing.get_type_hints(func, include_extras=True)
        except Exception as exc:
            raise TypeError(f"task {name!r}: its annotations do not resolve: {exc}") from exc
        self._hints = {
            param: hint
            for param, hint in hints.items()
            if param in signature.parameters and hint is not Any
        }
        self._adapters: dict[str, TypeAdapter[Any]] = {}

    def validate(self, bound: inspect.BoundArguments) -> inspect.BoundArguments:
        """The same binding with each annotated argument validated (and converted);
        raises `TaskArgumentError` naming the first argument that does not validate."""
        arguments: dict[str, Any] = {}
        for param, value in bound.arguments.items():
            if param not in self._hints:
                arguments[param] = value
            elif self._signature.parameters[param].kind is inspect.Parameter.VAR_POSITIONAL:
                arguments[param] = tuple(self._one(param, item) for item in value)
            elif self._signature.parameters[param].kind is inspect.Parameter.VAR_KEYWORD:
                arguments[param] = {key: self._one(param, item) for key, item in value.items()}
            else:
                arguments[param] = self._one(param, value)
        return inspect.BoundArguments(self._signature, arguments)

    def _one(self, param: str, value: Any) -> Any:
        adapter = self._adapters.get(param)
        if adapter is None:
            adapter = self._adapters[param] = TypeAdapter(self._hints[param])
        try:
            return adapter.validate_json(json.dumps(value), strict=True)
        except (TypeError, ValueError) as exc:  # ValidationError is a ValueError
            raise TaskArgumentError(
                f"argument {param!r} of task {self._name!r}: {_reason(exc)}"
            ) from None


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"{where}: {first['msg']}" if where else str(first["msg"])
    return str(exc)[:200]
