"""A small circuit breaker for a shared backend (Redis) that may go away.

While Redis is down every request would otherwise pay a connect attempt (or a full
timeout when packets are dropped), and the whole fleet would hammer the server as it
comes back. After a failure the breaker opens for `backoff` seconds, doubling per failed
probe up to `cap`; after the pause exactly one request probes, the others keep skipping
Redis until the probe's answer is in.

Each call takes an `Attempt` and reports on it. Attempts admitted before a trip are
"stale" afterwards: their failures (the same outage, seen by concurrent requests) neither
log again nor lengthen the pause.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from types import TracebackType

logger = logging.getLogger(__name__)


class Attempt:
    """One admitted use of the backend; report `succeeded()` or `failed(exc)`. Leaving
    the `with` block without a verdict (cancelled, pool busy) frees the probe slot."""

    def __init__(self, breaker: Breaker, generation: int, *, probe: bool) -> None:
        self._breaker = breaker
        self.generation = generation
        self.probe = probe
        self._done = False

    def succeeded(self) -> None:
        self._done = True
        self._breaker._succeeded(self)

    def failed(self, exc: BaseException) -> None:
        self._done = True
        self._breaker._failed(self, exc)

    def __enter__(self) -> Attempt:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if not self._done:
            self._breaker._released(self)


class Breaker:
    """Closed, open for a pause after a failure, then half-open: one probe at a time."""

    def __init__(
        self,
        name: str,
        *,
        backoff: float = 1.0,
        cap: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.backoff = backoff
        self.cap = cap
        self._clock = clock
        self._failures = 0
        self._open_until = 0.0
        # Bumped on every trip: tells an attempt of this outage from an earlier one.
        self._generation = 0
        self._probing = False

    @property
    def is_open(self) -> bool:
        return self._clock() < self._open_until

    @property
    def retry_after(self) -> float:
        """Seconds until the next probe (0 when closed)."""
        return max(0.0, self._open_until - self._clock())

    def attempt(self) -> Attempt | None:
        """An attempt to use the backend, or None: skip it (open, or its probe is out)."""
        if self.is_open:
            return None
        if not self._failures:
            return Attempt(self, self._generation, probe=False)
        if self._probing:
            return None
        self._probing = True
        return Attempt(self, self._generation, probe=True)

    def _failed(self, attempt: Attempt, exc: BaseException) -> None:
        if attempt.generation != self._generation:
            return  # admitted before the current trip: this outage is already counted
        pause = min(self.cap, self.backoff * 2**self._failures)
        self._failures += 1
        self._generation += 1
        self._probing = False
        self._open_until = self._clock() + pause
        cause = exc.__cause__ or exc  # wrappers (limits, redis-py) name no cause
        # One line per trip, not per request: a down Redis must not flood the logs.
        logger.warning(
            "%s unavailable (%s: %s); skipping it for %.1f s",
            self.name,
            type(cause).__name__,
            cause,
            pause,
        )

    def _succeeded(self, attempt: Attempt) -> None:
        if attempt.generation != self._generation:
            return  # answered from before a trip: the probe decides when to close
        if self._failures:
            logger.warning("%s back after %d failed attempt(s)", self.name, self._failures)
        self._failures = 0
        self._open_until = 0.0
        self._probing = False

    def _released(self, attempt: Attempt) -> None:
        if attempt.probe and attempt.generation == self._generation:
            self._probing = False
