"""The local run's cache backend: bounded (least recently used out first), expiring, and
counting as Redis counts (a counter's expiry is its first increment's)."""

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


def test_a_counter_keeps_the_expiry_of_its_first_increment() -> None:
    async def body() -> list[object]:
        backend = MemoryBackend()
        counts = [await backend.incr("n", 0.2), await backend.incr("n", 60)]
        await asyncio.sleep(0.3)  # past the first increment's expiry, not the second's
        gone = await backend.get("n")
        return [counts, gone, await backend.incr("n", 60)]

    assert asyncio.run(body()) == [[1, 2], None, 1]


def test_a_lookup_reads_counters_and_an_entry_together() -> None:
    async def body() -> tuple[list[bytes | None], bytes | None]:
        backend = MemoryBackend()
        await backend.incr("gen", 60)
        await backend.set("entry", b"v", 60)
        return await backend.get_many_and(["gen", "missing"], "entry")

    assert asyncio.run(body()) == ([b"1", None], b"v")
