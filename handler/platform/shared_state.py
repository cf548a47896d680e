"""Cache and rate limiter for the lifespan: one Redis pool and one breaker for both."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from handler.platform.breaker import Breaker
from handler.platform.cache import open_cache
from handler.platform.ratelimit import open_rate_limiter
from handler.platform.redis_pool import shared_redis_pool
from handler.settings import Settings


@asynccontextmanager
async def open_cache_and_limits(settings: Settings) -> AsyncIterator[dict[str, Any]]:
    """`{"cache": ResponseCache, "rate_limiter": RateLimiter}` for the lifespan state,
    plus `"redis_pool"` (the environment's one pool, an `OnFirstUse`) when REDIS_URL is
    set.

    Nothing here talks to Redis, builds a backend or imports cashews, limits or redis:
    each is built by the first request that needs it, so cold starts serving other
    routes skip ~100 ms of imports, and a Redis that is down at startup costs the first
    request its timeout, not the cold start its life.
    """
    async with AsyncExitStack() as stack:
        pool, breaker = None, None
        if settings.redis_url:
            pool = await stack.enter_async_context(shared_redis_pool(settings))
            # Cache and limiter share the server, so they share its health.
            breaker = Breaker("redis", backoff=settings.redis_backoff)
        cache = await stack.enter_async_context(open_cache(settings, pool=pool, breaker=breaker))
        limiter = await stack.enter_async_context(
            open_rate_limiter(settings, pool=pool, breaker=breaker)
        )
        state: dict[str, Any] = {"cache": cache, "rate_limiter": limiter}
        if pool is not None:
            state["redis_pool"] = pool
        yield state
