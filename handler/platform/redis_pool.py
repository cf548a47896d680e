"""The one Redis connection pool of an execution environment, shared by cache and limits.

Created in the lifespan (once per Lambda environment, not per invocation) so the TLS
handshake to ElastiCache is paid once, and closed on shutdown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import ConnectionPool
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from handler.settings import Settings

# Lambda runs one request at a time; locally uvicorn serves many. Past this, a request
# fails fast ("too many connections") and is handled like Redis being down.
MAX_CONNECTIONS = 64


@asynccontextmanager
async def open_redis_pool(settings: Settings) -> AsyncIterator[ConnectionPool]:
    pool = ConnectionPool.from_url(
        settings.redis_url,
        socket_connect_timeout=settings.redis_timeout,
        socket_timeout=settings.redis_timeout,
        # One quiet retry heals a connection that died while Lambda froze the process;
        # the callers' overall timeout still bounds the total wait.
        retry=Retry(NoBackoff(), 1),
        # PING a connection idle this long before reuse (frozen Lambda environments).
        health_check_interval=30,
        max_connections=MAX_CONNECTIONS,
        client_name=settings.service_name,
    )
    try:
        yield pool
    finally:
        await pool.aclose()
