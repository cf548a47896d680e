"""The response cache store: cashews on `mem://` locally, on the shared Redis on AWS.

Values are JSON, never pickle: a value read from Redis can at worst be wrong, never run
code. With CACHE_SECRET set, each value also carries an HMAC-SHA256 of its key and bytes,
and a value that fails the check reads as a miss.

Invalidation is by generations, not by deleting keys: an entry's key can name the
current generation of what it was computed from (`generations(["users"])`), and a write
starts a new one (`bump("users")`, one INCR). Every process reads the generations from the
shared store on every lookup (one MGET), so after a bump nobody, anywhere, reads the old entries;
they expire with their TTL. No key listing, no multi-key delete, no per-process state.

Only GET, SET, INCR (cashews' one-key Lua script when it sets the expiry) and the MGET of
a lookup's generations reach Redis. Every generation key carries the hash tag `{gen}`, so
that MGET stays in one slot: the plain client works on ElastiCache Serverless (cluster
mode, database 0).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from handler.platform.metrics.names import CACHE_OUTCOMES, REDIS_FAIL_OPEN, CacheOutcome
from handler.platform.metrics.recorder import NO_METRICS, Metrics
from handler.platform.redis.breaker import Breaker
from handler.platform.redis.first_use import BackendUnavailable, OnFirstUse
from handler.platform.redis.guarded import GuardedBackend

if TYPE_CHECKING:
    from cashews import Cache
    from redis.asyncio import ConnectionPool

    from handler.platform.redis.pool import RedisPool

logger = logging.getLogger(__name__)
MEMORY_ITEMS = 10_000
# A generation counter lives this long after its first bump. Far above any entry's TTL, so
# when it expires (and reads 0 again) no entry stored under the old 0 can still be alive.
GENERATION_SECONDS = 24 * 3600


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
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self.prefix = prefix
        self.metrics = metrics
        self.guarded = GuardedBackend(
            cache,
            timeout=timeout,
            breaker=breaker or Breaker("cache"),
            backend_errors=backend_errors,
        )

    @property
    def breaker(self) -> Breaker:
        return self.guarded.breaker

    def record(self, outcome: CacheOutcome) -> None:
        """Count one answer's outcome (`CacheHits`, `CacheMisses`, `CacheBypasses`)."""
        self.metrics.count(CACHE_OUTCOMES[outcome])

    def _failed_open(self) -> None:
        # Redis could not be used and the request goes on without it.
        self.metrics.count(REDIS_FAIL_OPEN, component="cache")

    async def get(self, key: str) -> Any | None:
        try:
            return await self.guarded.call(lambda cache: cache.get(self.prefix + key))
        except BackendUnavailable:
            self._failed_open()
            return None
        except bad_value_errors() as exc:
            logger.warning("cached value for %s rejected (%s); recomputing", key, repr(exc))
            return None

    async def set(self, key: str, value: Any, ttl: float) -> None:
        try:
            await self.guarded.call(lambda cache: cache.set(self.prefix + key, value, expire=ttl))
        except BackendUnavailable:
            self._failed_open()
            return

    async def lookup(self, key: str, names: Sequence[str], *, read: bool = True) -> Lookup:
        """`key` under the current generations of `names` (`key#users=3,users:5=1`) and,
        when `read`, the value stored there: one guarded call, one MGET and one GET on
        Redis. The key is None when the generations cannot be read: then nothing may be
        read or stored."""
        generation_keys = [self._generation_key(name) for name in names]

        async def find(cache: Cache) -> Lookup:
            full = key
            if generation_keys:
                current = _counters(names, await cache.get_many(*generation_keys))
                if current is None:
                    return Lookup(None)
                full = f"{key}#{','.join(f'{n}={v}' for n, v in zip(names, current, strict=True))}"
            if not read:
                return Lookup(full)
            try:
                return Lookup(full, await cache.get(self.prefix + full))
            except backend_errors():
                raise  # Redis failing: the guard's to judge
            except bad_value_errors() as exc:
                logger.warning("cached value for %s rejected (%s); recomputing", full, repr(exc))
                return Lookup(full)

        try:
            return await self.guarded.call(find)
        except BackendUnavailable:
            self._failed_open()
        except bad_value_errors():
            pass
        # Without generations the answer may still be stored (a later call may succeed).
        return Lookup(None if names else key)

    async def generations(self, names: Sequence[str]) -> list[int] | None:
        """The current generation of each name (0 before its first bump), read in one
        round trip (MGET); None when the store cannot say, and then the caller must
        neither read nor store an entry."""
        keys = [self._generation_key(name) for name in names]
        try:
            values = await self.guarded.call(lambda cache: cache.get_many(*keys))
        except BackendUnavailable:
            self._failed_open()
            return None
        except bad_value_errors():
            return None
        return _counters(names, values)

    async def bump(self, *names: str) -> bool:
        """Start a new generation of each name, for every process at once. False when the
        store could not be told (logged): entries of the old generation then stay readable
        by the processes that still reach Redis, until their TTL ends."""
        done = True
        for name in names:
            try:
                await self.guarded.call(_generation_bump(self._generation_key(name)))
            except BackendUnavailable as exc:
                logger.error("cache generation %s not bumped (%s): stale up to its TTL", name, exc)
                done = False
        return done

    def _generation_key(self, name: str) -> str:
        # One hash tag for every generation: a lookup's MGET stays in one slot (cluster
        # mode, ElastiCache Serverless), whichever names it reads.
        return f"{self.prefix}{{gen}}:{name}"


@dataclass(frozen=True, slots=True)
class Lookup:
    key: str | None  # None: the generations are unknown
    value: Any = None  # what is stored under `key` (None: nothing, or not read)


def _counters(names: Sequence[str], values: Sequence[Any]) -> list[int] | None:
    found: list[int] = []
    for name, value in zip(names, values, strict=True):
        if value is not None and type(value) is not int:
            logger.warning("cache generation %s holds %r, not a counter", name, value)
            return None
        found.append(value or 0)
    return found


def _generation_bump(key: str) -> Callable[[Cache], Awaitable[Any]]:
    return lambda cache: cache.incr(key, expire=GENERATION_SECONDS)


class _SharedPool:
    """Hands cashews the environment's pool instead of letting it build its own."""

    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def from_url(self, url: str, **kwargs: Any) -> ConnectionPool:
        return self.pool


@asynccontextmanager
async def open_cache(
    *,
    redis_url: str = "",
    key_prefix: str = "",
    redis_timeout: float,
    secret: str = "",
    pool: OnFirstUse[RedisPool] | None = None,
    breaker: Breaker | None = None,
    metrics: Metrics = NO_METRICS,
) -> AsyncIterator[ResponseCache]:
    """A `ResponseCache` whose cashews backend is built by its first get or set: on
    `redis_url` through `pool` when a pool is given, in memory otherwise. `secret`
    (empty: none) signs every value; keys start with `{key_prefix}cache:`."""
    async with OnFirstUse(lambda: _open_cashews(redis_url, secret, pool)) as backend:
        yield ResponseCache(
            backend,
            prefix=f"{key_prefix}cache:",
            timeout=redis_timeout,
            breaker=breaker,
            metrics=metrics,
        )


@asynccontextmanager
async def _open_cashews(
    redis_url: str, secret: str, pool: OnFirstUse[RedisPool] | None
) -> AsyncIterator[Cache]:
    """A dedicated cashews `Cache` (not the global one: apps and tests share no state)."""
    from cashews import Cache

    cache = Cache(name="http")
    # JSON in memory too, so local runs reject the values Redis would reject.
    serializer: dict[str, Any] = {
        "pickle_type": "json",
        "secret": secret or None,
        "digestmod": "sha256",
    }
    if pool is not None:
        cache.setup(
            redis_url,
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
