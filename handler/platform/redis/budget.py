"""The one Redis connection pool of an execution environment, shared by cache and limits.

Created on first use (once per Lambda environment, not per invocation) so the TLS
handshake to ElastiCache is paid once, and closed at lifespan shutdown.

Lambda runs one request at a time; locally uvicorn serves many. When more requests want
Redis than the pool has connections, a request waits for a free one (a blocking pool)
instead of failing. A request that cannot get one within its budget degrades alone
(`PoolExhausted`: the cache computes fresh, the limiter applies its fail policy); it is
not a Redis failure, so it never opens the breaker that would skip Redis for everyone.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from handler.platform.first_use import OnFirstUse
from handler.settings import Settings

if TYPE_CHECKING:
    from handler.platform.redis_blocking import RedisPool

logger = logging.getLogger(__name__)

WARN_EVERY = 60.0  # seconds between "pool exhausted" warnings: one per burst, not per request
# True while this task waits for a free connection: time spent there is the pool's.
_waiting_for_pool: ContextVar[bool] = ContextVar("waiting_for_pool", default=False)


class PoolExhausted(Exception):
    """No pooled connection came free in time. Deliberately not a RedisError: the
    vendor wrappers (cashews, limits) pass it through and callers never mistake it for
    Redis being down."""


_last_warning = -WARN_EVERY


def _exhausted(detail: str) -> PoolExhausted:
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
    token = _waiting_for_pool.set(False)
    try:
        async with asyncio.timeout(seconds):
            yield
    except TimeoutError as exc:
        if _waiting_for_pool.get():
            raise _exhausted(f"no free Redis connection within {seconds} s") from exc
        raise
    finally:
        _waiting_for_pool.reset(token)


@asynccontextmanager
async def open_redis_pool(settings: Settings) -> AsyncIterator[RedisPool]:
    # Imported here: redis-py costs ~50 ms of cold start, paid only when Redis is used.
    from handler.platform.redis_blocking import new_redis_pool

    pool = new_redis_pool(settings)
    try:
        yield pool
    finally:
        await pool.aclose()


def shared_redis_pool(settings: Settings) -> OnFirstUse[RedisPool]:
    """The environment's one pool, created by whichever of cache and limiter needs Redis
    first, and closed with the lifespan if it was ever created."""
    return OnFirstUse(lambda: open_redis_pool(settings))
