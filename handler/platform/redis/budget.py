"""A caller's time budget for Redis, and telling "waited for a pooled connection" from
"Redis failed".

Lambda runs one request at a time; locally uvicorn serves many. When more requests want
Redis than the pool has connections, a request waits for a free one (a blocking pool,
`handler.platform.redis.pool`) instead of failing. A request that cannot get one within
its budget degrades alone (`PoolExhausted`: the cache computes fresh, the limiter applies
its fail policy); it is not a Redis failure, so it never opens the breaker that would
skip Redis for everyone.

This module imports no redis-py: the cache and limiter import it on every cold start.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar

logger = logging.getLogger(__name__)

WARN_EVERY = 60.0  # seconds between "pool exhausted" warnings: one per burst, not per request
# True while this task waits for a free connection: time spent there is the pool's.
waiting_for_pool: ContextVar[bool] = ContextVar("waiting_for_pool", default=False)


class PoolExhausted(Exception):
    """No pooled connection came free in time. Deliberately not a RedisError: the
    vendor code (limits, redis-py) passes it through and callers never mistake it for
    Redis being down."""


_last_warning = -WARN_EVERY


def pool_exhausted(detail: str) -> PoolExhausted:
    """A `PoolExhausted` to raise, logged at most once a minute (one line per burst)."""
    global _last_warning  # noqa: PLW0603 - a log throttle, process-wide by nature
    now = time.monotonic()
    if now - _last_warning >= WARN_EVERY:
        _last_warning = now
        logger.warning("%s; those requests degrade (raise REDIS_MAX_CONNECTIONS?)", detail)
    return PoolExhausted(detail)


@asynccontextmanager
async def redis_budget(seconds: float) -> AsyncIterator[None]:
    """Bound a caller's whole use of Redis (wait for a connection, connect, retry, read)
    to `seconds`. Running out while still waiting for a free connection raises
    `PoolExhausted`, not `TimeoutError`: Redis was never asked."""
    token = waiting_for_pool.set(False)
    try:
        async with asyncio.timeout(seconds):
            yield
    except TimeoutError as exc:
        if waiting_for_pool.get():
            raise pool_exhausted(f"no free Redis connection within {seconds} s") from exc
        raise
    finally:
        waiting_for_pool.reset(token)
