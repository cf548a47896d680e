"""Where the response cache keeps its bytes: the port, and the in-memory adapter.

`CacheBackend` is the little the cache needs from a key-value store: GET, SET with a
TTL, the counters of generations (a bump: INCR, a new counter starting from a given
value, the expiry renewed), and a lookup that reads a few counters and one entry
together. `MemoryBackend` serves a local run (one
process); `handler.platform.cache.redis_backend.RedisBackend` serves the fleet.

Written here rather than on cashews (which this project used until issue 20): the cache
stores opaque bytes it encodes and signs itself (`handler.platform.cache.store`), so of
cashews only a backend's GET/SET/MGET/INCR remained in use, and it could not put a
lookup's MGET and GET in one round trip (it has no public pipeline). On Redis that
second round trip was most of a hit: a hit cost 0.58x the CPU of a miss with cashews,
against the issue's goal of 0.5x (docs/performance.md has the figures after).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import Protocol

# A local run's cache holds at most this many entries; the least recently used go first.
MEMORY_ITEMS = 10_000


class CacheBackend(Protocol):
    """Bytes under text keys. Missing and expired keys read as None. Errors raised are
    the store failing (the cache's guard judges them); nothing here decodes a value."""

    async def get(self, key: str) -> bytes | None: ...

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """The values of `keys`, in one round trip (MGET: one hash slot on Redis)."""
        ...

    async def get_many_and(
        self, keys: Sequence[str], key: str
    ) -> tuple[list[bytes | None], bytes | None]:
        """`get_many(keys)` and `get(key)` in one round trip (not atomically)."""
        ...

    async def set(self, key: str, value: bytes, ttl: float) -> None: ...

    async def bump(self, key: str, start: int, ttl: float) -> int:
        """Add one to the counter under `key` (a missing one starts from `start`) and
        return it; the counter expires `ttl` seconds after its last bump."""
        ...


class MemoryBackend:
    """One process's store: a bounded LRU of (expiry, bytes). Counters are kept as their
    decimal digits, as Redis keeps them, so both backends read alike."""

    def __init__(self, max_items: int = MEMORY_ITEMS) -> None:
        self.max_items = max_items
        self._items: OrderedDict[str, tuple[float, bytes]] = OrderedDict()

    async def get(self, key: str) -> bytes | None:
        return self._read(key)

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        return [self._read(key) for key in keys]

    async def get_many_and(
        self, keys: Sequence[str], key: str
    ) -> tuple[list[bytes | None], bytes | None]:
        return [self._read(k) for k in keys], self._read(key)

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        self._write(key, value, time.monotonic() + ttl)

    async def bump(self, key: str, start: int, ttl: float) -> int:
        found = self._read(key)
        count = (start if found is None else int(found)) + 1
        self._write(key, str(count).encode(), time.monotonic() + ttl)
        return count

    def _read(self, key: str) -> bytes | None:
        found = self._items.get(key)
        if found is None:
            return None
        expires, value = found
        if expires <= time.monotonic():
            del self._items[key]
            return None
        self._items.move_to_end(key)
        return value

    def _write(self, key: str, value: bytes, expires: float) -> None:
        self._items[key] = (expires, value)
        self._items.move_to_end(key)
        while len(self._items) > self.max_items:
            self._items.popitem(last=False)
