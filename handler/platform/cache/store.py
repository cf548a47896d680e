"""The response cache store: in memory locally, on the shared Redis on AWS.

Values are JSON, never pickle, signed with CACHE_SECRET when it is set
(`handler.platform.cache.values`); a value that fails its check reads as a miss.

Invalidation is by generations, not by deleting keys: an entry's key can name the
current generation of what it was computed from (`generations(["users"])`), and a write
starts a new one (`bump("users")`, one INCR). Every process reads the generations from the
shared store on every lookup (one MGET), so after a bump nobody, anywhere, reads the old
entries; they expire with their TTL. No key listing, no multi-key delete.

A counter expires a day after its last bump (names like `users:5` would otherwise pile
up), and reads as 0 once gone. A new counter starts from the clock (milliseconds since
the epoch), not from 0: an entry stored under a value of an expired counter (one stored
just before it expired lives on for its TTL) can then never be read again, since no
later counter passes through that value. Entries outlive no counter by more than their
TTL, which `@cached` keeps under a day.

A lookup reads the generations and the entry in one round trip: it asks for the entry
under the generations this process saw last for those names (a guess, kept per process),
in the same pipeline as the MGET that tells the truth. The guess is only trusted when
the MGET confirms it; after a bump it is wrong once, and a second GET reads the right
entry. Every generation key carries the hash tag `{gen}`, so the MGET stays in one slot
(ElastiCache Serverless is cluster mode). The backends are `handler.platform.cache.backends`.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from handler.platform.cache.backends import CacheBackend, MemoryBackend
from handler.platform.cache.values import ValueCodec
from handler.platform.metrics.names import CACHE_OUTCOMES, REDIS_FAIL_OPEN, CacheOutcome
from handler.platform.metrics.recorder import NO_METRICS, Metrics
from handler.platform.redis.breaker import Breaker
from handler.platform.redis.first_use import BackendUnavailable, OnFirstUse
from handler.platform.redis.guarded import GuardedBackend

if TYPE_CHECKING:
    from handler.platform.redis.pool import RedisPool

logger = logging.getLogger(__name__)
# A generation counter lives this long after its last bump: more than any entry's TTL
# (`@cached` refuses longer), so no entry stored under 0 before it existed outlives it.
GENERATION_SECONDS = 24 * 3600
# How many sets of names a process remembers the generations of (a guess, see above).
GUESSES = 1024
# Counters read as text: no counter (milliseconds since the epoch, plus bumps) is longer.
_COUNTER_DIGITS = 19


def backend_errors() -> tuple[type[BaseException], ...]:
    """Redis (or the way to it) failing; these open the breaker. A function, not a
    constant: redis-py is imported only once Redis is in use, and this runs only then."""
    from redis.exceptions import RedisError

    return (RedisError, OSError, TimeoutError)


class ResponseCache:
    """Get and set JSON values; never raises for backend trouble.

    A backend error or timeout, a backend that cannot be built (bad REDIS_URL), no free
    pooled connection, or a stored value that fails its signature or decoding, reads as a
    miss (logged); a failed write is dropped. While the breaker is open the backend is
    not called at all, so a down Redis costs nothing per request.
    """

    def __init__(
        self,
        backend: OnFirstUse[CacheBackend],
        *,
        prefix: str,
        timeout: float,
        secret: str = "",
        breaker: Breaker | None = None,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self.prefix = prefix
        self.metrics = metrics
        self._codec = ValueCodec(secret)
        self._guesses: OrderedDict[tuple[str, ...], list[int]] = OrderedDict()
        self.guarded = GuardedBackend(
            backend,
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
        full = self.prefix + key
        try:
            raw = await self.guarded.call(lambda backend: backend.get(full))
        except BackendUnavailable:
            self._failed_open()
            return None
        return self._decoded(full, raw)

    async def set(self, key: str, value: Any, ttl: float) -> None:
        full = self.prefix + key
        encoded = self._codec.encode(full, value)
        try:
            await self.guarded.call(lambda backend: backend.set(full, encoded, ttl))
        except BackendUnavailable:
            self._failed_open()

    async def lookup(self, key: str, names: Sequence[str], *, read: bool = True) -> Lookup:
        """`key` under the current generations of `names` (`key#users=3,users:5=1`) and,
        when `read`, the value stored there: one guarded call and, on Redis, one round
        trip (MGET and GET in a pipeline) unless a bump made this process's guess stale.
        The key is None when the generations cannot be read: then nothing may be read or
        stored."""
        if not names:
            return Lookup(key, await self.get(key) if read else None)
        remembered = tuple(names)
        generation_keys = [self._generation_key(name) for name in names]
        guess = self._guesses.get(remembered) if read else None
        if read and guess is None:
            guess = [0] * len(names)  # names not seen yet: most likely never bumped

        async def find(backend: CacheBackend) -> tuple[list[int] | None, bytes | None]:
            if guess is None:
                counters, raw = await backend.get_many(generation_keys), None
            else:
                counters, raw = await backend.get_many_and(
                    generation_keys, self.prefix + _entry_key(key, names, guess)
                )
            current = _counters(names, counters)
            if current is not None and read and current != guess:
                raw = await backend.get(self.prefix + _entry_key(key, names, current))
            return current, raw

        try:
            current, raw = await self.guarded.call(find)
        except BackendUnavailable:
            self._failed_open()
            return Lookup(None)
        if current is None:
            return Lookup(None)
        self._remember(remembered, current)
        full = _entry_key(key, names, current)
        return Lookup(full, self._decoded(self.prefix + full, raw) if read else None)

    async def generations(self, names: Sequence[str]) -> list[int] | None:
        """The current generation of each name (0 before its first bump), read in one
        round trip (MGET); None when the store cannot say, and then the caller must
        neither read nor store an entry."""
        keys = [self._generation_key(name) for name in names]
        try:
            values = await self.guarded.call(lambda backend: backend.get_many(keys))
        except BackendUnavailable:
            self._failed_open()
            return None
        return _counters(names, values)

    async def bump(self, *names: str) -> bool:
        """Start a new generation of each name, for every process at once. False when the
        store could not be told (logged): entries of the old generation then stay readable
        by the processes that still reach Redis, until their TTL ends."""
        done = True
        for name in names:
            try:
                await self.guarded.call(_bump(self._generation_key(name)))
            except BackendUnavailable as exc:
                logger.error("cache generation %s not bumped (%s): stale up to its TTL", name, exc)
                done = False
        return done

    def _generation_key(self, name: str) -> str:
        # One hash tag for every generation: a lookup's MGET stays in one slot (cluster
        # mode, ElastiCache Serverless), whichever names it reads.
        return f"{self.prefix}{{gen}}:{name}"

    def _remember(self, names: tuple[str, ...], counters: list[int]) -> None:
        # Bounded, the least recently used first out: per-item names (`users:5`) would
        # otherwise grow without end. Forgetting costs a round trip, nothing else.
        self._guesses[names] = counters
        self._guesses.move_to_end(names)
        if len(self._guesses) > GUESSES:
            self._guesses.popitem(last=False)

    def _decoded(self, key: str, raw: bytes | None) -> Any | None:
        """The value stored under `key`, None when nothing is, or when what is there is
        not a value of ours (logged; the caller recomputes)."""
        if raw is None:
            return None
        try:
            return self._codec.decode(key, raw)
        except (ValueError, RecursionError) as exc:
            logger.warning("cached value for %s rejected (%s); recomputing", key, repr(exc))
            return None


def _entry_key(key: str, names: Sequence[str], counters: Sequence[int]) -> str:
    versions = ",".join(f"{n}={v}" for n, v in zip(names, counters, strict=True))
    return f"{key}#{versions}"


@dataclass(frozen=True, slots=True)
class Lookup:
    key: str | None  # None: the generations are unknown
    value: Any = None  # what is stored under `key` (None: nothing, or not read)


def _counters(names: Sequence[str], values: Sequence[bytes | None]) -> list[int] | None:
    found: list[int] = []
    for name, value in zip(names, values, strict=True):
        if value is None:
            found.append(0)
        elif len(value) <= _COUNTER_DIGITS and value.isdigit():
            found.append(int(value))
        else:
            logger.warning("cache generation %s holds %r, not a counter", name, value[:40])
            return None
    return found


def _bump(key: str) -> Callable[[CacheBackend], Awaitable[int]]:
    start = time.time_ns() // 1_000_000
    return lambda backend: backend.bump(key, start, GENERATION_SECONDS)


@asynccontextmanager
async def open_cache(
    *,
    key_prefix: str = "",
    redis_timeout: float,
    secret: str = "",
    pool: OnFirstUse[RedisPool] | None = None,
    breaker: Breaker | None = None,
    metrics: Metrics = NO_METRICS,
) -> AsyncIterator[ResponseCache]:
    """A `ResponseCache` whose backend is built by its first get or set: on the Redis of
    `pool` when a pool is given (the environment's, shared with the limiter), in memory
    otherwise. `secret` (empty: none) signs every value; keys start with
    `{key_prefix}cache:`."""
    async with OnFirstUse(lambda: _open_backend(pool)) as backend:
        yield ResponseCache(
            backend,
            prefix=f"{key_prefix}cache:",
            timeout=redis_timeout,
            secret=secret,
            breaker=breaker,
            metrics=metrics,
        )


@asynccontextmanager
async def _open_backend(pool: OnFirstUse[RedisPool] | None) -> AsyncIterator[CacheBackend]:
    if pool is None:
        yield MemoryBackend()
        return
    from handler.platform.cache.redis_backend import RedisBackend

    # The client owns nothing: the pool is closed with the lifespan, not here.
    yield RedisBackend(await pool.get())
