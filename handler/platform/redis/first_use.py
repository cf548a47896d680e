"""Backends built on first use, not at import or lifespan startup.

The cache and the rate limiter import their vendor libraries (limits, redis: ~80 ms
together) only when a request first needs them, so a cold start that serves
other routes never pays for them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from types import TracebackType
from typing import Generic, TypeVar

from handler.platform.errors import Unavailable

T = TypeVar("T")


class BackendUnavailable(Unavailable):
    """Building a backend failed (bad REDIS_URL, missing library): callers treat it like
    the backend being down for this request, never as a 500."""


class OnFirstUse(Generic[T]):
    """Enters `open_()` the first time `get()` is awaited, then hands out the same value;
    `aclose()` exits it if it was ever entered. A failed build is retried on a later
    `get()` (the caller's breaker decides when)."""

    def __init__(self, open_: Callable[[], AbstractAsyncContextManager[T]]) -> None:
        self._open = open_
        self._value: T | None = None
        self._built = False
        # Requests served concurrently (uvicorn) must not build two backends.
        self._lock = asyncio.Lock()
        self._stack = AsyncExitStack()

    @property
    def built(self) -> bool:
        return self._built

    async def get(self) -> T:
        if not self._built:
            async with self._lock:
                if not self._built:
                    await self._build()
        return self._value  # type: ignore[return-value]

    async def _build(self) -> None:
        try:
            self._value = await self._stack.enter_async_context(self._open())
        except BackendUnavailable:
            raise  # a backend this one is built on (the pool): already ours
        except Exception as exc:
            raise BackendUnavailable(f"could not build the backend: {exc!r}") from exc
        self._built = True

    async def aclose(self) -> None:
        stack, self._stack = self._stack, AsyncExitStack()
        self._value, self._built = None, False
        await stack.aclose()

    async def __aenter__(self) -> OnFirstUse[T]:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
