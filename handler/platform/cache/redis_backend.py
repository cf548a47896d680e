"""The response cache on the shared Redis (ElastiCache Serverless on AWS).

Only single-key GET, SET, INCR and PEXPIRE, and the MGET of generation keys (which share
one hash tag, so one slot) reach Redis: the plain client works on ElastiCache
Serverless, which is cluster mode. A lookup's MGET and GET travel in one pipeline (not a
transaction: each command stays in its own slot), so a hit costs one round trip.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from redis.asyncio import ConnectionPool


class RedisBackend:
    """`CacheBackend` on a redis-py client over the environment's shared pool."""

    def __init__(self, pool: ConnectionPool) -> None:
        # Imported here: the module is imported only once Redis is in use.
        from redis.asyncio import Redis

        self.client: Redis = Redis(connection_pool=pool)

    async def get(self, key: str) -> bytes | None:
        return _bytes(await self.client.get(key))

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        return [_bytes(value) for value in await self.client.mget(keys)]

    async def get_many_and(
        self, keys: Sequence[str], key: str
    ) -> tuple[list[bytes | None], bytes | None]:
        pipe = self.client.pipeline(transaction=False)
        pipe.mget(keys)
        pipe.get(key)
        many, one = await pipe.execute()
        return [_bytes(value) for value in many], _bytes(one)

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        await self.client.set(key, value, px=max(1, int(ttl * 1000)))

    async def bump(self, key: str, start: int, ttl: float) -> int:
        # Not a transaction, and none is needed: SET NX gives a new counter its expiry,
        # INCR keeps it, PEXPIRE renews it; no step leaves a counter that never expires.
        milliseconds = max(1, int(ttl * 1000))
        pipe = self.client.pipeline(transaction=False)
        pipe.set(key, start, nx=True, px=milliseconds)
        pipe.incr(key)
        pipe.pexpire(key, milliseconds)
        _, count, _ = await pipe.execute()
        return int(count)


def _bytes(value: Any) -> bytes | None:
    # The pool is shared with the limiter, which never asks for decoded responses.
    return value if value is None or isinstance(value, bytes) else str(value).encode()
