"""Whatever bytes sit under a cache key (written by another app, an old version, an
attacker with access to Redis), a lookup answers: a value of ours, or a miss; generations
it cannot read make the answer uncacheable. It never raises and never unpickles."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from hypothesis import given, settings
from hypothesis import strategies as st

from handler.platform.cache.backends import CacheBackend, MemoryBackend
from handler.platform.cache.store import Lookup, ResponseCache
from handler.platform.redis.first_use import OnFirstUse

PREFIX = "t:cache:"
HOSTILE = st.one_of(
    st.binary(max_size=300),
    st.sampled_from(
        [
            b"[" * 100_000,  # deeper than the JSON parser goes
            b"1" * 5_000,  # more digits than int() reads
            b"sha256:" + b"0" * 64 + b'_[[],"x"]',  # a signature that does not match
            b"\x80\x04\x95",  # a pickle's opening bytes
            b'[[["content-type","text/html"]],"x"]',
        ]
    ),
)


def lookup_with(entry: bytes, generation: bytes | None, secret: str) -> Lookup:
    backend = MemoryBackend()

    @asynccontextmanager
    async def opened() -> AsyncIterator[CacheBackend]:
        yield backend

    async def run() -> Lookup:
        async with OnFirstUse(opened) as built:
            cache = ResponseCache(built, prefix=PREFIX, timeout=1.0, secret=secret)
            if generation is not None:
                await backend.set(f"{PREFIX}{{gen}}:users", generation, 60)
            readable = generation is not None and generation.isdigit() and len(generation) <= 19
            counter = int(generation) if generation is not None and readable else 0
            await backend.set(f"{PREFIX}list#users={counter}", entry, 60)
            await backend.set(f"{PREFIX}plain", entry, 60)
            assert await cache.get("plain") in (None, *_decodable(entry))
            return await cache.lookup("list", ["users"])

    return asyncio.run(run())


def _decodable(entry: bytes) -> list[object]:
    import json

    try:
        return [json.loads(entry)]
    except (ValueError, RecursionError):
        return []


@settings(max_examples=150, deadline=None)
@given(
    entry=HOSTILE,
    generation=st.one_of(st.none(), HOSTILE),
    secret=st.sampled_from(["", "s" * 32]),
)
def test_a_lookup_never_raises_whatever_is_stored(
    entry: bytes, generation: bytes | None, secret: str
) -> None:
    found = lookup_with(entry, generation, secret)
    if found.key is None:
        # Only unreadable generations make the answer uncacheable.
        assert generation is not None
        assert not (generation.isdigit() and len(generation) <= 19)
    elif secret:
        assert found.value is None  # nothing here carries a good signature
    else:
        assert found.value in (None, *_decodable(entry))
