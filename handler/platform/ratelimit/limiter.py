"""Rate limits with `limits`: in memory locally, in the shared Redis on AWS.

On Lambda every execution environment is its own process, so only a counter in Redis
makes "5/minute" mean 5 for the whole fleet rather than 5 per environment.

Strategy: moving window. A fixed window lets a client send the limit at the end of one
window and again at the start of the next (2x in a few seconds); the sliding-window
counter approximates the previous window and can admit one extra request near the edge.
The moving window keeps one timestamp per admitted request, so it is exact; its cost is
O(limit) memory per client key, small for per-client limits like 5 or 100 per minute.
Past a few thousand per window, prefer `SlidingWindowCounterRateLimiter`.

ElastiCache Serverless runs in cluster mode: a Lua script may only touch keys of one hash
slot. Both moving-window scripts (acquire, window stats) take exactly one key,
`{REDIS_KEY_PREFIX}limits:LIMITER/...`, so they need no hash tag (the sliding-window
counter's two keys carry limits' own `{...}` tag). A `{...}` in REDIS_KEY_PREFIX would
pin every key of the app to one slot: leave it out. (tests/platform/redis/test_elasticache.py
watches what is sent.)
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from handler.platform.errors import Unavailable
from handler.platform.metrics.names import RATE_LIMIT_REFUSALS, REDIS_FAIL_OPEN
from handler.platform.metrics.recorder import NO_METRICS, Metrics
from handler.platform.redis.breaker import Breaker
from handler.platform.redis.first_use import BackendUnavailable, OnFirstUse
from handler.platform.redis.guarded import GuardedBackend

if TYPE_CHECKING:
    from limits import RateLimitItem
    from limits.aio.strategies import MovingWindowRateLimiter
    from limits.util import WindowStats

    from handler.platform.redis.pool import RedisPool


def storage_errors() -> tuple[type[BaseException], ...]:
    """Storage trouble; a function because limits and redis are imported on first use
    (it runs only once the storage exists, so it imports nothing new)."""
    from limits.errors import StorageError
    from redis.exceptions import RedisError

    return (StorageError, RedisError, OSError, TimeoutError)


class RateLimiterUnavailable(Unavailable):
    """Redis is unavailable and RATE_LIMIT_FAIL_OPEN is false: the app answers 503 with
    `Retry-After: retry_after`."""

    error = "Rate limiter unavailable"

    def __init__(self, retry_after: int) -> None:
        super().__init__(headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    # None when the store could not be asked (failing open): unknown, not zero.
    remaining: int | None = None
    reset_at: float | None = None

    def headers(self) -> dict[str, str]:
        """`X-RateLimit-Reset` is epoch seconds; `Retry-After` (429 only) is seconds."""
        headers = {"X-RateLimit-Limit": str(self.limit)}
        if self.remaining is not None:
            headers["X-RateLimit-Remaining"] = str(max(0, self.remaining))
        if self.reset_at is not None:
            headers["X-RateLimit-Reset"] = str(math.ceil(self.reset_at))
            if not self.allowed:
                headers["Retry-After"] = str(max(1, math.ceil(self.reset_at - time.time())))
        return headers


class RateLimiter:
    """Counts hits per (limit, identifiers) and decides; storage trouble never raises
    a vendor error: it allows (fail open, logged) or raises `RateLimiterUnavailable`.
    So does a request that finds no free pooled connection in time, without opening
    the breaker (Redis is busy serving the others, not down), and one whose storage
    cannot be built (bad REDIS_URL), which does open it."""

    def __init__(
        self,
        strategy: OnFirstUse[MovingWindowRateLimiter],
        *,
        timeout: float,
        fail_open: bool = True,
        breaker: Breaker | None = None,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self.fail_open = fail_open
        self.metrics = metrics
        self.guarded = GuardedBackend(
            strategy,
            timeout=timeout,
            breaker=breaker or Breaker("rate-limit storage"),
            backend_errors=storage_errors,
        )

    @property
    def breaker(self) -> Breaker:
        return self.guarded.breaker

    async def hit(self, item: RateLimitItem, *identifiers: str) -> Decision:
        async def count(strategy: MovingWindowRateLimiter) -> tuple[bool, WindowStats]:
            allowed = await strategy.hit(item, *identifiers)
            return allowed, await strategy.get_window_stats(item, *identifiers)

        try:
            allowed, stats = await self.guarded.call(count)
        except BackendUnavailable:
            return self._unavailable(item)
        if not allowed:
            self.metrics.count(RATE_LIMIT_REFUSALS)
        return Decision(allowed, item.amount, stats.remaining, stats.reset_time)

    def _unavailable(self, item: RateLimitItem) -> Decision:
        if self.fail_open:
            self.metrics.count(REDIS_FAIL_OPEN, component="ratelimit")
            return Decision(allowed=True, limit=item.amount)
        raise RateLimiterUnavailable(max(1, math.ceil(self.breaker.retry_after)))


@asynccontextmanager
async def open_rate_limiter(
    *,
    redis_url: str = "",
    key_prefix: str = "",
    redis_timeout: float = 0.5,
    fail_open: bool = True,
    pool: OnFirstUse[RedisPool] | None = None,
    breaker: Breaker | None = None,
    metrics: Metrics = NO_METRICS,
) -> AsyncIterator[RateLimiter]:
    """A `RateLimiter` whose storage is built by its first hit: on Redis (`redis_url`,
    through `pool`, keys under `{key_prefix}limits`) when a pool is given, in memory
    otherwise. `fail_open`: a Redis that does not answer lets requests through."""
    opened = lambda: _open_strategy(redis_url, key_prefix, pool)  # noqa: E731
    async with OnFirstUse(opened) as strategy:
        yield RateLimiter(
            strategy,
            timeout=redis_timeout,
            fail_open=fail_open,
            breaker=breaker,
            metrics=metrics,
        )


@asynccontextmanager
async def _open_strategy(
    redis_url: str, key_prefix: str, pool: OnFirstUse[RedisPool] | None
) -> AsyncIterator[MovingWindowRateLimiter]:
    from limits.aio.storage import MemoryStorage, RedisStorage, Storage
    from limits.aio.strategies import MovingWindowRateLimiter

    storage: Storage
    if pool is not None:
        storage = RedisStorage(
            redis_url,
            implementation="redispy",
            # The environment's one pool; limits documents this option, its stub types
            # **options as scalars only.
            connection_pool=await pool.get(),  # type: ignore[arg-type]
            key_prefix=f"{key_prefix}limits",
            wrap_exceptions=True,
        )
    else:
        storage = MemoryStorage()
    try:
        yield MovingWindowRateLimiter(storage)
    finally:
        timer = getattr(storage, "timer", None)  # MemoryStorage's expiry task
        if isinstance(timer, asyncio.Task):
            timer.cancel()
