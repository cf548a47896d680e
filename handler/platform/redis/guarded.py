"""The one guarded call to a shared backend, used by the cache and the rate limiter.

Every use of Redis goes through the same ladder, so the two clients cannot drift apart:

1. the breaker: while Redis is known to be down, skip it without a network call;
2. build the backend on first use (outside the time budget: a cold import is not Redis
   being slow); a backend that cannot be built counts as Redis down;
3. the time budget (REDIS_TIMEOUT) around the call, connection wait included;
4. the verdict: a Redis error or timeout opens the breaker; no free pooled connection
   degrades this request only; any other exception means Redis answered (a bad stored
   value, say) and is the caller's to handle.

Whatever goes wrong with Redis reaches the caller as one error, `BackendUnavailable`,
and the caller applies its own policy (the cache computes fresh, the limiter fails open
or closed).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from handler.platform.redis.breaker import Breaker
from handler.platform.redis.budget import PoolExhausted, redis_budget
from handler.platform.redis.first_use import BackendUnavailable, OnFirstUse

logger = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

# Errors that mean "the backend (or the way to it) failed". A function, not a constant:
# the vendor libraries are imported on first use, and this runs only once one exists.
ErrorClasses = Callable[[], tuple[type[BaseException], ...]]


class GuardedBackend(Generic[T]):
    """`await guarded.call(lambda backend: backend.get(key))`: the result, or
    `BackendUnavailable` for every way Redis can fail or be skipped."""

    def __init__(
        self,
        backend: OnFirstUse[T],
        *,
        timeout: float,
        breaker: Breaker,
        backend_errors: ErrorClasses,
    ) -> None:
        self.backend = backend
        self.timeout = timeout
        self.breaker = breaker
        self._backend_errors = backend_errors

    async def prepare(self) -> bool:
        """Build the backend now instead of on the first call (SnapStart's init, so the
        build is in the snapshot); building connects to nothing. False if it failed: the
        first call retries, as it would have anyway."""
        try:
            await self.backend.get()
        except BackendUnavailable as exc:
            logger.warning("%s not built ahead: %s", self.breaker.name, exc)
            return False
        return True

    async def call(self, operation: Callable[[T], Awaitable[R]]) -> R:
        attempt = self.breaker.attempt()
        if attempt is None:
            raise BackendUnavailable(f"{self.breaker.name}: skipped while it recovers")
        with attempt:
            try:
                backend = await self.backend.get()
                async with redis_budget(self.timeout):
                    result = await operation(backend)
            except PoolExhausted as exc:
                # This request only: Redis itself is fine, so the breaker stays closed.
                raise BackendUnavailable(str(exc)) from exc
            except BackendUnavailable as exc:
                attempt.failed(exc)
                raise
            except self._backend_errors() as exc:
                attempt.failed(exc)
                raise BackendUnavailable(f"{self.breaker.name}: {exc!r}") from exc
            except Exception:
                attempt.succeeded()  # Redis answered; what it answered is the problem
                raise
            attempt.succeeded()
            return result
