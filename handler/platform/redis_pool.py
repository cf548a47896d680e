"""The one Redis connection pool of an execution environment, shared by cache and limits.

Created in the lifespan (once per Lambda environment, not per invocation) so the TLS
handshake to ElastiCache is paid once, and closed on shutdown.

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
from typing import Any

from redis.asyncio import BlockingConnectionPool
from redis.asyncio.connection import AbstractConnection
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from handler.settings import Settings

logger = logging.getLogger(__name__)

WARN_EVERY = 60.0  # seconds between "pool exhausted" warnings: one per burst, not per request
# True while this task waits for a free connection: time spent there is the pool's.
_waiting_for_pool: ContextVar[bool] = ContextVar("waiting_for_pool", default=False)


class PoolExhausted(Exception):
    """No pooled connection came free in time. Deliberately not a RedisError: the
    vendor wrappers (cashews, limits) pass it through and callers never mistake it for
    Redis being down."""


class RedisPool(BlockingConnectionPool):
    """A blocking pool that tells "waited for a connection" apart from "Redis failed"."""

    async def get_connection(self, *args: Any, **kwargs: Any) -> AbstractConnection:
        # Cleared by `can_get_connection` the moment a connection is free; left set when
        # the caller's budget runs out mid-wait, so `redis_budget` can tell.
        _waiting_for_pool.set(True)
        try:
            connection: AbstractConnection = await super().get_connection(  # type: ignore[no-untyped-call]
                *args, **kwargs
            )
        except RedisConnectionError as exc:
            # The pool's own wait timed out; a failed connect has no TimeoutError cause.
            if isinstance(exc.__cause__, TimeoutError) and _waiting_for_pool.get():
                raise self.exhausted() from exc
            raise
        return connection

    def can_get_connection(self) -> bool:
        # The predicate the waiting task polls: True ends its wait, so what follows
        # (connect, command) is Redis time again.
        free = bool(super().can_get_connection())
        if free:
            _waiting_for_pool.set(False)
        return free

    def exhausted(self) -> PoolExhausted:
        return _exhausted(f"all {self.max_connections} Redis connections busy")


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
    pool = RedisPool.from_url(
        settings.redis_url,
        socket_connect_timeout=settings.redis_timeout,
        socket_timeout=settings.redis_timeout,
        # One quiet retry heals a connection that died while Lambda froze the process;
        # the callers' overall timeout still bounds the total wait.
        retry=Retry(NoBackoff(), 1),
        # PING a connection idle this long before reuse (frozen Lambda environments).
        health_check_interval=30,
        max_connections=settings.redis_max_connections,
        # A request waits this long for a free connection (a burst locally), then degrades.
        timeout=settings.redis_timeout,
        client_name=settings.service_name,
    )
    try:
        yield pool
    finally:
        await pool.aclose()
