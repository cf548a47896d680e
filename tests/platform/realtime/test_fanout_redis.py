"""The Redis fan-out, each `RedisFanout` standing in for one process: every process's
listeners hear each message once (the publisher's included), other prefixes hear nothing;
with Redis killed or frozen, the publisher's own listeners still hear everything, the loss
is logged once per process, and once Redis is back cross-process delivery resumes."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager

import pytest

from handler.platform.realtime.fanout_redis import RedisFanout
from handler.platform.redis.first_use import OnFirstUse
from handler.platform.redis.pool import RedisPool, open_redis_pool
from tests.support.redis_server import RedisServer
from tests.support.redis_settings import REDIS_TEST_TIMEOUT
from tests.support.require import require

LOST = "fan-out: Redis unreachable"
BACK = "fan-out: Redis back"


class Process:
    """One process's fan-out and what its `chat` listener heard."""

    def __init__(self, fanout: RedisFanout) -> None:
        self.fanout = fanout
        self.heard: list[str] = []
        fanout.listen("chat", self._hear)

    async def _hear(self, message: str) -> None:
        self.heard.append(message)


@asynccontextmanager
async def processes(
    url: str, prefix: str, count: int = 2, **options: float
) -> AsyncIterator[list[Process]]:
    async with AsyncExitStack() as stack:
        found = []
        for _ in range(count):
            pool: OnFirstUse[RedisPool] = OnFirstUse(
                lambda: open_redis_pool(url, connect_timeout=REDIS_TEST_TIMEOUT, max_connections=4)
            )
            await stack.enter_async_context(pool)
            fanout = RedisFanout(pool, prefix=prefix, timeout=REDIS_TEST_TIMEOUT, **options)
            found.append(Process(await stack.enter_async_context(fanout)))
        for process in found:
            await process.fanout.ready()
        yield found


async def until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 - state of other tasks and of Redis
            await asyncio.sleep(0.02)


async def settled(condition: Callable[[], bool]) -> None:
    """The condition holds, and a duplicate would have had time to arrive."""
    await until(condition)
    await asyncio.sleep(0.3)


def run(test: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(test())  # type: ignore[arg-type]


@pytest.fixture
def prefix(redis_prefix: str) -> str:
    return f"{redis_prefix}fanout:"


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    server = RedisServer()
    if not server.available:
        require("REQUIRE_REDIS", "redis-server is not installed")
    with server:
        yield server


def test_every_process_hears_each_message_once_its_publisher_included(
    redis_url: str, prefix: str
) -> None:
    async def scenario() -> None:
        async with processes(redis_url, prefix, 3) as (a, b, c):
            other_app = f"other-{uuid.uuid4().hex}:"
            async with processes(redis_url, other_app, 1) as (stranger,):
                await a.fanout.publish("chat", "from a")
                await b.fanout.publish("chat", "from b ✓")
                await a.fanout.publish("elsewhere", "nobody listens")
                await settled(lambda: all(len(p.heard) == 2 for p in (a, b, c)))
                assert stranger.heard == []
            for process in (a, b, c):
                assert sorted(process.heard) == ["from a", "from b ✓"]

    run(scenario)


def test_nothing_connects_until_a_listener_or_a_publish_needs_it(
    redis_url: str, prefix: str
) -> None:
    async def scenario() -> None:
        pool: OnFirstUse[RedisPool] = OnFirstUse(
            lambda: open_redis_pool(
                redis_url, connect_timeout=REDIS_TEST_TIMEOUT, max_connections=4
            )
        )
        async with pool, RedisFanout(pool, prefix=prefix, timeout=REDIS_TEST_TIMEOUT) as idle:
            await asyncio.sleep(0.1)
            assert not pool.built
            assert not idle.connected
        lone = RedisFanout(pool, prefix=prefix, timeout=REDIS_TEST_TIMEOUT)
        async with processes(redis_url, prefix, 1) as (listener,), pool, lone:
            await lone.publish("chat", "first publish subscribes, then publishes")
            assert lone.connected
            await settled(lambda: len(listener.heard) == 1)

    run(scenario)


def test_the_publisher_hears_its_message_before_publish_returns(
    redis_url: str, prefix: str
) -> None:
    async def scenario() -> None:
        async with processes(redis_url, prefix) as (a, b):
            await a.fanout.publish("chat", "now")
            assert a.heard == ["now"], "delivered here directly, not on its way back"
            await settled(lambda: b.heard == ["now"])
            assert a.heard == ["now"]

    run(scenario)


def test_a_broadcast_from_another_threads_loop_is_forwarded(redis_url: str, prefix: str) -> None:
    async def scenario() -> None:
        async with processes(redis_url, prefix) as (a, b):
            thread = threading.Thread(
                target=asyncio.run, args=(a.fanout.forward("chat", "from a thread"),)
            )
            thread.start()
            await asyncio.to_thread(thread.join)
            await settled(lambda: b.heard == ["from a thread"])
            assert a.heard == []  # forward is for the others only

    run(scenario)


def test_redis_killed_local_delivery_goes_on_logged_once_then_resumes(
    own_redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="handler.platform.realtime.fanout_redis")

    async def scenario() -> None:
        async with processes(own_redis.url, "app:", backoff=0.1) as (a, b):
            await a.fanout.publish("chat", "before")
            await settled(lambda: b.heard == ["before"])

            own_redis.kill()
            for i in range(20):
                await a.fanout.publish("chat", f"down {i}")
            await until(lambda: not b.fanout.connected)
            await b.fanout.publish("chat", "down from b")
            assert a.heard == ["before"] + [f"down {i}" for i in range(20)]
            assert b.heard == ["before", "down from b"]
            lost = [r for r in caplog.records if r.getMessage().startswith(LOST)]
            assert len(lost) == 2, "one line per process, not one per message"

            own_redis.start()
            await until(lambda: a.fanout.connected and b.fanout.connected)
            await a.fanout.publish("chat", "after")
            await settled(lambda: b.heard[-1:] == ["after"])
            assert a.heard.count("after") == b.heard.count("after") == 1

    run(scenario)
    lost = [r for r in caplog.records if r.getMessage().startswith(LOST)]
    back = [r.getMessage() for r in caplog.records if r.getMessage().startswith(BACK)]
    assert len(lost) == 2
    assert len(back) == 2
    assert any("20 message(s)" in line for line in back), back


class FailingPublish:
    async def publish(self, channel: str, data: bytes) -> int:
        raise ConnectionError("a publish that timed out")


def test_a_failed_publish_pauses_forwarding_until_a_ping_answers(
    redis_url: str, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="handler.platform.realtime.fanout_redis")

    async def scenario() -> None:
        async with processes(redis_url, prefix) as (a, b):
            await a.fanout.publish("chat", "warm")  # builds a's publishing client
            a.fanout._client, working = FailingPublish(), a.fanout._client  # type: ignore[assignment]
            await a.fanout.publish("chat", "lost for b")
            assert not a.fanout.connected
            a.fanout._client = working
            await until(lambda: a.fanout.connected, seconds=5)
            await a.fanout.publish("chat", "again")
            await settled(lambda: b.heard == ["warm", "again"])
            assert a.heard == ["warm", "lost for b", "again"]

    run(scenario)
    logged = [r.getMessage() for r in caplog.records]
    assert [line.startswith(LOST) for line in logged] == [True, False], logged
    assert "1 message(s)" in logged[1]


def test_redis_frozen_is_noticed_by_the_keepalive(
    own_redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="handler.platform.realtime.fanout_redis")
    assert own_redis.process is not None
    pid = own_redis.process.pid

    async def scenario() -> None:
        async with processes(own_redis.url, "app:", backoff=0.1, keepalive=0.3) as (a, b):
            os.kill(pid, signal.SIGSTOP)  # answers nothing, closes nothing
            try:
                await until(lambda: not a.fanout.connected and not b.fanout.connected)
                await a.fanout.publish("chat", "while frozen")
                assert a.heard == ["while frozen"]
            finally:
                os.kill(pid, signal.SIGCONT)
            await until(lambda: a.fanout.connected and b.fanout.connected)
            await a.fanout.publish("chat", "thawed")
            await settled(lambda: b.heard == ["thawed"])

    run(scenario)
    assert len([r for r in caplog.records if r.getMessage().startswith(LOST)]) == 2


def test_redis_down_at_start_is_logged_once_and_joined_when_it_comes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = RedisServer()
    if not server.available:
        require("REQUIRE_REDIS", "redis-server is not installed")
    caplog.set_level(logging.WARNING, logger="handler.platform.realtime.fanout_redis")

    async def scenario() -> None:
        async with processes(server.url, "app:", backoff=0.1) as (a, b):
            assert not a.fanout.connected
            await a.fanout.publish("chat", "alone")
            assert a.heard == ["alone"]
            await asyncio.to_thread(server.start)
            await until(lambda: a.fanout.connected and b.fanout.connected)
            await b.fanout.publish("chat", "together")
            await settled(lambda: a.heard == ["alone", "together"])

    try:
        run(scenario)
    finally:
        server.kill()
    assert len([r for r in caplog.records if r.getMessage().startswith(LOST)]) == 2
