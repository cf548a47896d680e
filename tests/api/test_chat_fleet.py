"""Several local server processes on one Redis: the chat and announcements reach every
process's clients exactly once (docs/websockets.md#several-local-processes).

Real `python -m local` processes, real `websockets` clients, and a `redis-server` of the
test's own, so it can be killed (never the shared 6379 one): while it is down each
process's clients still hear their own process's messages, each process logs the outage
once, and when it is back the processes hear each other again.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import AsyncExitStack, ExitStack, contextmanager
from typing import Any

import httpx
import pytest

from tests.support.chat_clients import (
    ChatClient,
    each_hears_once,
    token,
    worker_connections,
)
from tests.support.processes import PYTHON, Served, child_env, serving
from tests.support.redis_server import RedisServer
from tests.support.redis_settings import REDIS_TEST_TIMEOUT
from tests.support.require import require
from tests.support.servers import free_port

LOST = "fan-out: Redis unreachable"
BACK = "fan-out: Redis back"


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    server = RedisServer()
    if not server.available:
        require("REQUIRE_REDIS", "redis-server is not installed")
    with server:
        yield server


def fleet_env(redis_url: str) -> dict[str, str]:
    return child_env(
        drop=("REDIS_", "AWS_", "TASK_", "USERS_", "CONNECTIONS_", "WS_"),
        ENVIRONMENT="test",
        REDIS_URL=redis_url,
        REDIS_KEY_PREFIX=f"fleet-{uuid.uuid4().hex[:8]}:",
        REDIS_TIMEOUT=str(REDIS_TEST_TIMEOUT),
        REDIS_BACKOFF="0.2",
    )


@contextmanager
def servers(redis_url: str, count: int = 2) -> Iterator[list[Served]]:
    """`count` processes on one Redis; each one's `output` is there once the block ends."""
    env = fleet_env(redis_url)
    with ExitStack() as stack:
        found = []
        for port in (free_port() for _ in range(count)):
            command = [PYTHON, "-m", "local", "--port", str(port)]
            found.append(stack.enter_context(serving(command, port=port, env=env)))
        yield found


@pytest.fixture
def two_servers(own_redis: RedisServer) -> Iterator[list[Served]]:
    with servers(own_redis.url) as found:
        yield found


def port_of(served: Served) -> int:
    return int(served.url.rsplit(":", 1)[1])


def run(scenario: Any) -> None:
    asyncio.run(scenario())


def test_clients_of_two_processes_hear_each_other_once(two_servers: list[Served]) -> None:
    a, b = (port_of(served) for served in two_servers)

    async def scenario() -> None:
        async with AsyncExitStack() as stack:
            alice = await ChatClient.join(stack, a, "alice")
            carol = await ChatClient.join(stack, a, "carol")
            bob = await ChatClient.join(stack, b, "bob")
            everyone = [alice, carol, bob]
            await alice.say("hello from a")
            await each_hears_once(everyone, "Client alice: hello from a")
            await bob.say("hello from b")
            await each_hears_once(everyone, "Client bob: hello from b")
            assert [len(client.heard) for client in everyone] == [2, 2, 2]

    run(scenario)


def test_an_announcement_task_in_one_process_reaches_the_others_clients(
    two_servers: list[Served],
) -> None:
    b = port_of(two_servers[1])

    async def scenario() -> None:
        async with AsyncExitStack() as stack:
            # No client of the first process: its first publish is its first use of Redis.
            clients = [
                await ChatClient.join(stack, b, "bob"),
                await ChatClient.join(stack, b, "dave"),
            ]
            admin = {"Authorization": f"Bearer {token('root', admin=True)}"}
            async with httpx.AsyncClient(base_url=two_servers[0].url) as http:
                for text in ("noon", "one"):
                    queued = await http.post(
                        "/api/v2/announcements", json={"text": text}, headers=admin
                    )
                    assert queued.status_code == 202, queued.text
            await each_hears_once(clients, "Announcement: noon")
            await each_hears_once(clients, "Announcement: one")

    run(scenario)


def test_redis_down_keeps_each_process_talking_logs_once_then_rejoins(
    own_redis: RedisServer,
) -> None:
    with servers(own_redis.url) as two:
        a, b = (port_of(served) for served in two)
        asyncio.run(talk_through_an_outage(own_redis, a, b))
    for served in two:
        assert served.output.count(LOST) == 1, served.output
        assert served.output.count(BACK) == 1, served.output
        assert "Traceback" not in served.output, served.output


async def talk_through_an_outage(own_redis: RedisServer, a: int, b: int) -> None:
    async with AsyncExitStack() as stack:
        alice = await ChatClient.join(stack, a, "alice")
        carol = await ChatClient.join(stack, a, "carol")
        bob = await ChatClient.join(stack, b, "bob")
        await alice.say("up")
        await each_hears_once([alice, carol, bob], "Client alice: up")

        own_redis.kill()
        for i in range(10):
            await alice.say(f"down {i}")
        await bob.say("down from b")
        for i in range(10):
            await each_hears_once([alice, carol], f"Client alice: down {i}")
        await each_hears_once([bob], "Client bob: down from b")
        # Pub/sub replays nothing: what was said meanwhile stays in its process.
        assert not any(text.startswith("Client alice: down") for text in bob.heard)
        assert "Client bob: down from b" not in alice.heard

        await asyncio.to_thread(own_redis.start)
        probes = 0

        async def probe() -> bool:
            nonlocal probes
            probes += 1
            await alice.say(f"probe {probes}")
            await asyncio.sleep(0.2)
            return any(text.startswith("Client alice: probe") for text in bob.heard)

        async with asyncio.timeout(15):
            while not await probe():
                pass
        await bob.say("back")
        await each_hears_once([alice, carol, bob], "Client bob: back")


def test_uvicorn_workers_share_the_chat(own_redis: RedisServer) -> None:
    port = free_port()
    command = [PYTHON, "-m", "local", "--port", str(port), "--workers", "2"]
    with serving(command, port=port, env=fleet_env(own_redis.url)) as served:

        async def scenario() -> None:
            async with AsyncExitStack() as stack:
                clients: list[ChatClient] = []
                # Until both workers hold a client (the kernel picks the worker).
                while len(clients) < 4 or min_per_worker(served, port) < 1:
                    assert len(clients) < 40, worker_connections(served.process.pid, port)
                    clients.append(await ChatClient.join(stack, port, f"user{len(clients)}"))
                    await asyncio.sleep(0.05)
                await clients[0].say("to every worker")
                await each_hears_once(clients, "Client user0: to every worker")

        run(scenario)
    startups = [line for line in served.output.splitlines() if "handler.app: startup" in line]
    assert len(startups) == 2, served.output
    assert all("websockets=local+redis" in line for line in startups)


def min_per_worker(served: Served, port: int) -> int:
    counts = [n for n in worker_connections(served.process.pid, port).values()]
    busy = sorted(counts, reverse=True)[:2]
    return min(busy) if len(busy) == 2 else 0
