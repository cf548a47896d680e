"""The one Redis connection pool of an execution environment, shared by cache and limits.

Created on first use (once per Lambda environment, not per invocation) so the TLS
handshake to ElastiCache is paid once, and closed at lifespan shutdown. Importing this
module imports redis-py (~50 ms of cold start): only the composition root does, and only
when a request first needs Redis.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from redis.asyncio import BlockingConnectionPool
from redis.asyncio.connection import AbstractConnection
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from handler.platform.redis.budget import PoolExhausted, pool_exhausted, waiting_for_pool


class RedisPool(BlockingConnectionPool):
    """A blocking pool that tells "waited for a connection" apart from "Redis failed"."""

    async def get_connection(self, *args: Any, **kwargs: Any) -> AbstractConnection:
        # Cleared by `can_get_connection` the moment a connection is free; left set when
        # the caller's budget runs out mid-wait, so `redis_budget` can tell.
        waiting_for_pool.set(True)
        try:
            connection: AbstractConnection = await super().get_connection(  # type: ignore[no-untyped-call]
                *args, **kwargs
            )
        except RedisConnectionError as exc:
            # The pool's own wait timed out; a failed connect has no TimeoutError cause.
            if isinstance(exc.__cause__, TimeoutError) and waiting_for_pool.get():
                raise self.exhausted() from exc
            raise
        return connection

    def can_get_connection(self) -> bool:
        # The predicate the waiting task polls: True ends its wait, so what follows
        # (connect, command) is Redis time again.
        free = bool(super().can_get_connection())
        if free:
            waiting_for_pool.set(False)
        return free

    def exhausted(self) -> PoolExhausted:
        return pool_exhausted(f"all {self.max_connections} Redis connections busy")


def new_redis_pool(
    url: str, *, timeout: float, max_connections: int, client_name: str | None = None
) -> RedisPool:
    return RedisPool.from_url(
        url,
        socket_connect_timeout=timeout,
        # No per-socket read/write timeout: every use of the pool runs inside a caller's
        # budget (`redis_budget`, asyncio.timeout), which cancels a stuck read, and
        # redis-py drops a connection whose read was cancelled. A socket timeout would
        # only add a task (asyncio.wait_for) to every send and a timer to every read:
        # ~10 % of a cache hit's CPU.
        socket_timeout=None,
        # One quiet retry heals a connection that died while Lambda froze the process;
        # the callers' overall timeout still bounds the total wait.
        retry=Retry(NoBackoff(), 1),
        # PING a connection idle this long before reuse (frozen Lambda environments).
        health_check_interval=30,
        max_connections=max_connections,
        # A request waits this long for a free connection (a burst locally), then degrades.
        timeout=timeout,
        client_name=client_name,
    )


@asynccontextmanager
async def open_redis_pool(
    url: str, *, connect_timeout: float, max_connections: int, client_name: str | None = None
) -> AsyncIterator[RedisPool]:
    """The pool for `url`, closed when the block ends (`connect_timeout`: each connect and each
    wait for a free connection; reads are bounded by the callers' budgets)."""
    pool = new_redis_pool(
        url, timeout=connect_timeout, max_connections=max_connections, client_name=client_name
    )
    try:
        yield pool
    finally:
        await pool.aclose()
