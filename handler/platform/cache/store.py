"""The response cache store: cashews on `mem://` locally, on the shared Redis on AWS.

Values are JSON, never pickle: a value read from Redis can at worst be wrong, never run
code. With CACHE_SECRET set, each value also carries an HMAC-SHA256 of its key and bytes,
and a value that fails the check reads as a miss.

Only single-key GET and SET reach Redis, so the plain client works on ElastiCache
Serverless (cluster mode, database 0).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from handler.platform.redis.breaker import Breaker
from handler.platform.redis.first_use import BackendUnavailable, OnFirstUse
from handler.platform.redis.guarded import GuardedBackend
from handler.settings import Settings

if TYPE_CHECKING:
    from cashews import Cache
    from redis.asyncio import ConnectionPool

    from handler.platform.redis.pool import RedisPool

logger = logging.getLogger(__name__)
MEMORY_ITEMS = 10_000


# Functions, not module constants: cashews and redis are imported on first use only, and
# these run only once the backend exists (so they import nothing new).
def backend_errors() -> tuple[type[BaseException], ...]:
    """Redis (or the way to it) failing; these open the breaker."""
    from cashews.exceptions import CacheBackendInteractionError
    from redis.exceptions import RedisError

    return (CacheBackendInteractionError, RedisError, OSError, TimeoutError)


def bad_value_errors() -> tuple[type[BaseException], ...]:
    """A value that is there but unusable: bad signature, not JSON, not UTF-8."""
    from cashews.exceptions import CacheError

    return (CacheError, ValueError)


class ResponseCache:
    """Get and set JSON values; never raises for backend trouble.

    A backend error or timeout, a backend that cannot be built (bad REDIS_URL), no free
    pooled connection, or a stored value that fails its signature or decoding, reads as a
    miss (logged); a failed write is dropped. While the breaker is open the backend is
    not called at all, so a down Redis costs nothing per request.
    """

    def __init__(
        self,
        cache: OnFirstUse[Cache],
        *,
        prefix: str,
        timeout: float,
        breaker: Breaker | None = None,
    ) -> None:
        self.prefix = prefix
        self.guarded = GuardedBackend(
            cache,
            timeout=timeout,
            breaker=breaker or Breaker("cache"),
            backend_errors=backend_errors,
        )

    @property
    def breaker(self) -> Breaker:
        return self.guarded.breaker

    async def get(self, key: str) -> Any | None:
        try:
            return await self.guarded.call(lambda cache: cache.get(self.prefix + key))
        except BackendUnavailable:
            return None
        except bad_value_errors() as exc:
            logger.warning("cached value for %s rejected (%s); recomputing", key, repr(exc))
            return None

    async def set(self, key: str, value: Any, ttl: float) -> None:
        try:
            await self.guarded.call(lambda cache: cache.set(self.prefix + key, value, expire=ttl))
        except BackendUnavailable:
            return


class _SharedPool:
    """Hands cashews the environment's pool instead of letting it build its own."""

    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def from_url(self, url: str, **kwargs: Any) -> ConnectionPool:
        return self.pool


@asynccontextmanager
async def open_cache(
    settings: Settings,
    *,
    pool: OnFirstUse[RedisPool] | None = None,
    breaker: Breaker | None = None,
) -> AsyncIterator[ResponseCache]:
    """A `ResponseCache` whose cashews backend is built by its first get or set."""
    async with OnFirstUse(lambda: _open_cashews(settings, pool)) as backend:
        yield ResponseCache(
            backend,
            prefix=f"{settings.redis_key_prefix}cache:",
            timeout=settings.redis_timeout,
            breaker=breaker,
        )


@asynccontextmanager
async def _open_cashews(
    settings: Settings, pool: OnFirstUse[RedisPool] | None
) -> AsyncIterator[Cache]:
    """A dedicated cashews `Cache` (not the global one: apps and tests share no state)."""
    from cashews import Cache

    cache = Cache(name="http")
    # JSON in memory too, so local runs reject the values Redis would reject.
    serializer: dict[str, Any] = {
        "pickle_type": "json",
        "secret": settings.cache_secret.get_secret_value() or None,
        "digestmod": "sha256",
    }
    if pool is not None:
        cache.setup(
            settings.redis_url,
            suppress=False,  # errors reach ResponseCache, which owns the policy
            connection_pool_class=_SharedPool(await pool.get()),
            **serializer,
        )
    else:
        cache.setup("mem://", size=MEMORY_ITEMS, **serializer)
    await cache.init()
    try:
        yield cache
    finally:
        await cache.close()
