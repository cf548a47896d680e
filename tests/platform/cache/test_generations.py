"""Cache generations: the invalidation the whole fleet sees. A bump through one cache is
read by another one on the same store at once; with Redis unreachable, generations are
unknown (None) and a bump reports that it did not happen."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import pytest

from handler.platform.cache.store import GENERATION_SECONDS, ResponseCache
from handler.platform.settings import PlatformSettings
from tests.support.platform_app import open_platform_state
from tests.support.redis_settings import memory_or_redis_settings
from tests.support.servers import free_port

settings = pytest.fixture(params=["memory", "redis"])(memory_or_redis_settings)


def with_caches(settings: PlatformSettings, count: int, body: Callable[..., Awaitable[Any]]) -> Any:
    """`body(*caches)` with `count` caches opened on `settings` as an app's lifespan opens
    them (each with its own pool, as separate processes have; on Redis they share data)."""

    async def run() -> Any:
        async with AsyncExitStack() as stack:
            states = [
                await stack.enter_async_context(open_platform_state(settings)) for _ in range(count)
            ]
            return await body(*(state.cache for state in states))

    return asyncio.run(run())


def test_generations_start_at_zero_and_count_bumps(settings: PlatformSettings) -> None:
    async def body(cache: ResponseCache) -> list[Any]:
        before = await cache.generations(["users", "users:1"])
        assert await cache.bump("users") is True
        assert await cache.bump("users", "users:1") is True
        return [before, await cache.generations(["users", "users:1", "users:2"])]

    assert with_caches(settings, 1, body) == [[0, 0], [2, 1, 0]]


def test_a_bump_is_seen_by_every_process_on_the_same_redis(
    redis_url: str, redis_prefix: str
) -> None:
    shared = PlatformSettings(
        environment="test", redis_url=redis_url, redis_key_prefix=redis_prefix
    )

    async def body(one: ResponseCache, other: ResponseCache) -> list[Any]:
        await one.bump("users")
        return [await other.generations(["users"]), await one.generations(["users"])]

    assert with_caches(shared, 2, body) == [[1], [1]]


def test_the_generation_key_expires_far_after_any_entry(redis_url: str, redis_prefix: str) -> None:
    import redis

    shared = PlatformSettings(
        environment="test", redis_url=redis_url, redis_key_prefix=redis_prefix
    )

    async def body(cache: ResponseCache) -> None:
        await cache.bump("users")

    with_caches(shared, 1, body)
    with redis.Redis.from_url(redis_url) as client:
        ttl = client.ttl(f"{redis_prefix}cache:{{gen}}:users")
    assert GENERATION_SECONDS - 60 < ttl <= GENERATION_SECONDS


def test_with_redis_unreachable_generations_are_unknown_and_bumps_fail(
    caplog: pytest.LogCaptureFixture,
) -> None:
    down = PlatformSettings(
        environment="test", redis_url=f"redis://127.0.0.1:{free_port()}/0", redis_timeout=0.2
    )

    async def body(cache: ResponseCache) -> list[Any]:
        return [await cache.generations(["users"]), await cache.bump("users", "users:1")]

    with caplog.at_level(logging.ERROR):
        assert with_caches(down, 1, body) == [None, False]
    assert any("users:1 not bumped" in r.getMessage() for r in caplog.records)


def test_a_generation_that_is_not_a_counter_reads_as_unknown(
    redis_url: str, redis_prefix: str
) -> None:
    import redis

    shared = PlatformSettings(
        environment="test", redis_url=redis_url, redis_key_prefix=redis_prefix
    )
    with redis.Redis.from_url(redis_url) as client:
        client.set(f"{redis_prefix}cache:{{gen}}:users", b"not a number")

    async def body(cache: ResponseCache) -> Any:
        return await cache.generations(["users"])

    assert with_caches(shared, 1, body) is None


def test_a_lookup_after_another_process_bumps_reads_the_new_generation(
    redis_url: str, redis_prefix: str
) -> None:
    """A lookup asks for the entry under the generations its process saw last, in the
    same round trip as the MGET that reads them: after another process bumps, that
    guess is stale, and the lookup must read the new generation's entry, never the old."""
    shared = PlatformSettings(
        environment="test", redis_url=redis_url, redis_key_prefix=redis_prefix
    )

    async def body(one: ResponseCache, other: ResponseCache) -> list[Any]:
        seen = []
        first = await one.lookup("things", ["things"])
        assert first.key is not None
        await one.set(first.key, "old", 60)
        seen.append(await one.lookup("things", ["things"]))  # the guess confirmed: a hit
        await other.bump("things")
        stale = await one.lookup("things", ["things"])  # the guess is now wrong
        seen.append(stale)
        assert stale.key is not None
        await other.set(stale.key, "new", 60)
        seen.append(await one.lookup("things", ["things"]))
        seen.append(await other.lookup("things", ["things"]))
        return [(found.key, found.value) for found in seen]

    assert with_caches(shared, 2, body) == [
        ("things#things=0", "old"),
        ("things#things=1", None),
        ("things#things=1", "new"),
        ("things#things=1", "new"),
    ]


def test_values_and_counters_read_alike_on_both_backends(settings: PlatformSettings) -> None:
    """The memory backend keeps counters as Redis does (decimal digits), expires values
    after their TTL, and signs nothing differently: the same calls give the same answers."""

    async def body(cache: ResponseCache) -> list[Any]:
        await cache.set("short", {"a": [1, "é"]}, 0.05)
        await cache.set("long", ["x"], 60)
        before = [await cache.get("short"), await cache.get("long")]
        await asyncio.sleep(0.2)
        await cache.bump("n")
        await cache.bump("n")
        return [before, await cache.get("short"), await cache.generations(["n"])]

    assert with_caches(settings, 1, body) == [[{"a": [1, "é"]}, ["x"]], None, [2]]
