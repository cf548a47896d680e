"""Cache generations: the invalidation the whole fleet sees. A bump through one cache is
read by another one on the same store at once; with Redis unreachable, generations are
unknown (None) and a bump reports that it did not happen."""

from __future__ import annotations

import asyncio
import logging
import time
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


def test_generations_read_zero_until_bumped_then_count_up_from_the_clock(
    settings: PlatformSettings,
) -> None:
    """A new counter starts from the time of its first bump, in milliseconds: a counter
    that expired and starts again never passes through a value it had before."""

    async def body(cache: ResponseCache) -> list[Any]:
        before = await cache.generations(["users", "users:1"])
        started = time.time_ns() // 1_000_000
        assert await cache.bump("users") is True
        assert await cache.bump("users", "users:1") is True
        after = await cache.generations(["users", "users:1", "users:2"])
        assert after is not None
        users, one, two = after
        now = time.time_ns() // 1_000_000
        assert started < users <= now + 2  # two bumps
        assert started < one <= now + 1
        assert await cache.bump("users") is True
        again = await cache.generations(["users"])
        return [before, two, again == [users + 1]]

    assert with_caches(settings, 1, body) == [[0, 0], 0, True]


def test_a_bump_is_seen_by_every_process_on_the_same_redis(
    redis_url: str, redis_prefix: str
) -> None:
    shared = PlatformSettings(
        environment="test", redis_url=redis_url, redis_key_prefix=redis_prefix
    )

    async def body(one: ResponseCache, other: ResponseCache) -> list[Any]:
        await one.bump("users")
        return [await other.generations(["users"]), await one.generations(["users"])]

    seen, own = with_caches(shared, 2, body)
    assert seen == own
    assert seen[0] > 0


def test_the_generation_key_expires_a_day_after_its_last_bump(
    redis_url: str, redis_prefix: str
) -> None:
    import redis

    shared = PlatformSettings(
        environment="test", redis_url=redis_url, redis_key_prefix=redis_prefix
    )
    key = f"{redis_prefix}cache:{{gen}}:users"

    async def body(cache: ResponseCache) -> None:
        await cache.bump("users")

    with redis.Redis.from_url(redis_url) as client:
        with_caches(shared, 1, body)
        assert GENERATION_SECONDS - 60 < client.ttl(key) <= GENERATION_SECONDS
        client.pexpire(key, 5_000)  # as if the first bump were a day old
        with_caches(shared, 1, body)
        assert GENERATION_SECONDS - 60 < client.ttl(key) <= GENERATION_SECONDS


def test_a_counter_that_expired_never_comes_back_to_an_old_value(
    redis_url: str, redis_prefix: str
) -> None:
    """An entry stored just before its counter expired lives on for its TTL; the next
    counter must not pass through the value that entry was stored under."""
    import redis

    shared = PlatformSettings(
        environment="test", redis_url=redis_url, redis_key_prefix=redis_prefix
    )

    async def body(cache: ResponseCache) -> Any:
        await cache.bump("users")
        await cache.bump("users")
        old = await cache.lookup("list", ["users"])
        assert old.key is not None
        await cache.set(old.key, "stale", 60)
        with redis.Redis.from_url(redis_url) as client:
            client.delete(f"{redis_prefix}cache:{{gen}}:users")  # it expired
        for _ in range(3):
            await cache.bump("users")
            found = await cache.lookup("list", ["users"])
            assert found.key != old.key
            assert found.value is None
        return True

    assert with_caches(shared, 1, body) is True


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

    (first_key, old), (stale_key, missing), (one_key, new), (other_key, new_too) = with_caches(
        shared, 2, body
    )
    assert (first_key, old) == ("things#things=0", "old")
    assert stale_key != first_key
    assert stale_key.startswith("things#things=")
    assert missing is None
    assert one_key == other_key == stale_key
    assert new == new_too == "new"


def test_values_and_counters_read_alike_on_both_backends(settings: PlatformSettings) -> None:
    """The memory backend keeps counters as Redis does (decimal digits), expires values
    after their TTL, and signs nothing differently: the same calls give the same answers."""

    async def body(cache: ResponseCache) -> list[Any]:
        await cache.set("short", {"a": [1, "é"]}, 0.05)
        await cache.set("long", ["x"], 60)
        before = [await cache.get("short"), await cache.get("long")]
        await asyncio.sleep(0.2)
        await cache.bump("n")
        first = await cache.generations(["n"])
        await cache.bump("n")
        second = await cache.generations(["n"])
        assert first is not None
        assert second is not None
        return [before, await cache.get("short"), second[0] - first[0]]

    assert with_caches(settings, 1, body) == [[{"a": [1, "é"]}, ["x"]], None, 1]
