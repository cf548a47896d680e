"""The cache and the rate limiter, and the Redis pool they share."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from handler.composition.metrics_backend import app_metrics
from handler.platform.redis.breaker import Breaker
from handler.platform.redis.first_use import OnFirstUse
from handler.platform.settings import PlatformSettings

if TYPE_CHECKING:
    from handler.platform.cache.store import ResponseCache
    from handler.platform.ratelimit.limiter import RateLimiter
    from handler.platform.redis.pool import RedisPool


def cache_backend(settings: PlatformSettings) -> str:
    """What the cache and the rate limiter run on (they share it)."""
    return "redis" if settings.redis_url else "memory"


@dataclass(frozen=True)
class CacheAndLimits:
    cache: ResponseCache
    rate_limiter: RateLimiter
    redis_pool: OnFirstUse[RedisPool] | None  # the environment's one pool, with REDIS_URL


@asynccontextmanager
async def open_cache_and_limits(settings: PlatformSettings) -> AsyncIterator[CacheAndLimits]:
    """The cache and the rate limiter, and the Redis pool they share when REDIS_URL is
    set.

    Nothing here talks to Redis, builds a backend or imports limits or redis:
    each is built by the first request that needs it, so cold starts serving other
    routes skip ~100 ms of imports, and a Redis that is down at startup costs the first
    request its timeout, not the cold start its life.
    """
    from handler.platform.cache.store import open_cache
    from handler.platform.ratelimit.limiter import open_rate_limiter

    async with AsyncExitStack() as stack:
        pool, breaker = None, None
        if cache_backend(settings) == "redis":
            pool = await stack.enter_async_context(shared_redis_pool(settings))
            # Cache and limiter share the server, so they share its health.
            breaker = Breaker("redis", backoff=settings.redis_backoff)
        metrics = app_metrics(settings)
        cache = await stack.enter_async_context(
            open_cache(
                key_prefix=settings.redis_key_prefix,
                redis_timeout=settings.redis_timeout,
                secret=settings.cache_secret.get_secret_value(),
                pool=pool,
                breaker=breaker,
                metrics=metrics,
            )
        )
        limiter = await stack.enter_async_context(
            open_rate_limiter(
                redis_url=settings.redis_url,
                key_prefix=settings.redis_key_prefix,
                redis_timeout=settings.redis_timeout,
                fail_open=settings.rate_limit_fail_open,
                pool=pool,
                breaker=breaker,
                metrics=metrics,
            )
        )
        yield CacheAndLimits(cache, limiter, pool)


def shared_redis_pool(settings: PlatformSettings) -> OnFirstUse[RedisPool]:
    """The environment's one pool, created by whichever of cache and limiter needs Redis
    first, and closed with the lifespan if it was ever created."""

    def open_pool() -> Any:
        # Imported here: redis-py costs ~50 ms of cold start, paid only when Redis is used.
        from handler.platform.redis.pool import open_redis_pool

        return open_redis_pool(
            settings.redis_url,
            connect_timeout=settings.redis_timeout,
            max_connections=settings.redis_max_connections,
            client_name=settings.service_name,
        )

    return OnFirstUse(open_pool)
