"""A small circuit breaker for a shared backend (Redis) that may go away.

While Redis is down every request would otherwise pay a connect attempt (or a full
timeout when packets are dropped), and the whole fleet would hammer the server as it
comes back. After a failure the breaker opens for `backoff` seconds, doubling per failed
probe up to `cap`; the first request after the pause is the probe.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)


class Breaker:
    """Open after a failure, half-open after the pause, closed again on success."""

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

    @property
    def is_open(self) -> bool:
        return self._clock() < self._open_until

    @property
    def retry_after(self) -> float:
        """Seconds until the next probe (0 when closed)."""
        return max(0.0, self._open_until - self._clock())

    def failure(self, exc: BaseException) -> None:
        pause = min(self.cap, self.backoff * 2**self._failures)
        self._failures += 1
        self._open_until = self._clock() + pause
        cause = exc.__cause__ or exc  # vendor wrappers (cashews, limits) carry no detail
        # One line per trip, not per request: a down Redis must not flood the logs.
        logger.warning(
            "%s unavailable (%s: %s); skipping it for %.1f s",
            self.name,
            type(cause).__name__,
            cause,
            pause,
        )

    def success(self) -> None:
        if self._failures:
            logger.warning("%s back after %d failed attempt(s)", self.name, self._failures)
        self._failures = 0
        self._open_until = 0.0
