"""The local run's cache backend: bounded (least recently used out first), expiring, and
counting as the Redis backend counts (a new counter from its start; each bump renews the
expiry)."""

from __future__ import annotations

import asyncio

from handler.platform.cache.backends import MemoryBackend


def test_the_least_recently_used_entry_leaves_first() -> None:
    async def body() -> list[bytes | None]:
        backend = MemoryBackend(max_items=2)
        await backend.set("a", b"1", 60)
        await backend.set("b", b"2", 60)
        await backend.get("a")  # a is now the most recently used
        await backend.set("c", b"3", 60)
        return await backend.get_many(["a", "b", "c"])

    assert asyncio.run(body()) == [b"1", None, b"3"]


def test_a_counter_starts_from_its_start_and_expires_after_its_last_bump() -> None:
    async def body() -> list[object]:
        backend = MemoryBackend()
        counts = [await backend.bump("n", 100, 0.2), await backend.bump("n", 500, 0.2)]
        await asyncio.sleep(0.15)
        renewed = await backend.bump("n", 900, 0.2)  # renews the expiry
        await asyncio.sleep(0.15)  # past the first bumps' expiry, not the last's
        kept = await backend.get("n")
        await asyncio.sleep(0.1)
        return [counts, renewed, kept, await backend.get("n"), await backend.bump("n", 7, 60)]

    assert asyncio.run(body()) == [[101, 102], 103, b"103", None, 8]


def test_a_lookup_reads_counters_and_an_entry_together() -> None:
    async def body() -> tuple[list[bytes | None], bytes | None]:
        backend = MemoryBackend()
        await backend.bump("gen", 0, 60)
        await backend.set("entry", b"v", 60)
        return await backend.get_many_and(["gen", "missing"], "entry")

    assert asyncio.run(body()) == ([b"1", None], b"v")
