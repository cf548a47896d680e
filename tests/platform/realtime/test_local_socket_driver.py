"""The chat on local sockets: real uvicorn, real WebSocket clients, the same handlers as on
AWS."""

from __future__ import annotations

import asyncio
import json
import os
import random
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from handler.platform.realtime import Hub, broadcast, current_hub
from handler.platform.realtime.types import MAX_MESSAGE_BYTES
from handler.settings import Settings
from tests.support.auth import socket_url, token
from tests.support.servers import LiveServer

WAIT = 10.0  # generous bound for any one expected message


@pytest.fixture
def settings() -> Settings:
    return Settings(environment="test", ws_send_timeout=0.5)


def url(server: LiveServer, subject: object) -> str:
    """The chat socket, signed in as `subject` (the name the chat gives the client)."""
    return socket_url(f"ws://127.0.0.1:{server.port}/ws", subject=str(subject))


async def recv(ws: ClientConnection) -> str:
    message = await asyncio.wait_for(ws.recv(), WAIT)
    assert isinstance(message, str)
    return message


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    for _ in range(int(WAIT / 0.02)):
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


async def count_is(hub: Hub, n: int) -> bool:
    return len(await hub.connections()) == n


def local_hub(settings: Settings) -> Hub:
    """The hub the live server's lifespan installed (memory registry: any loop may read it)."""
    hub = current_hub()
    assert hub is not None, "the live server's lifespan installs its hub"
    return hub


def test_three_clients_each_receive_every_message(live_server: LiveServer) -> None:
    async def scenario() -> None:
        async with (
            connect(url(live_server, 1)) as one,
            connect(url(live_server, 2)) as two,
            connect(url(live_server, 3)) as three,
        ):
            await one.send("hello")
            assert [await recv(ws) for ws in (one, two, three)] == ["Client 1: hello"] * 3
            await three.send("hi one")
            assert [await recv(ws) for ws in (one, two, three)] == ["Client 3: hi one"] * 3

    asyncio.run(scenario())


@pytest.mark.parametrize("path", ["/ws/1", "/ws?client_id=1", "/ws?token=", "/ws?token=a.b.c"])
def test_a_socket_without_a_valid_token_is_refused_401_at_the_handshake(
    live_server: LiveServer, path: str
) -> None:
    async def scenario() -> None:
        with pytest.raises(InvalidStatus) as caught:
            async with connect(f"ws://127.0.0.1:{live_server.port}{path}"):
                pass
        assert caught.value.response.status_code == 401
        assert b"error" in caught.value.response.body

    asyncio.run(scenario())


def test_a_token_in_the_bearer_subprotocol_signs_in(live_server: LiveServer) -> None:
    async def scenario() -> None:
        protocols: list[Any] = ["chat", f"bearer.{token(subject='bob')}"]
        async with connect(f"ws://127.0.0.1:{live_server.port}/ws", subprotocols=protocols) as ws:
            assert ws.subprotocol == "chat", "the token is never echoed"
            await ws.send("hi")
            assert await recv(ws) == "Client bob: hi"

    asyncio.run(scenario())


def test_closed_socket_is_dropped_from_the_registry(
    live_server: LiveServer, settings: Settings
) -> None:
    hub = local_hub(settings)

    async def scenario() -> None:
        async with connect(url(live_server, 1)) as one:
            async with connect(url(live_server, 2)):
                await eventually(lambda: count_is(hub, 2), "two connections")
            await eventually(lambda: count_is(hub, 1), "the closed one to be dropped")
            await one.send("still here")
            assert await recv(one) == "Client 1: still here"

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("x" * (MAX_MESSAGE_BYTES + 1), "message_too_large"),
        (b"\x00binary", "binary_not_supported"),
        ("", "empty_message"),
    ],
)
def test_refused_message_is_answered_to_its_sender_and_the_socket_stays_open(
    live_server: LiveServer, body: str | bytes, error: str
) -> None:
    async def scenario() -> None:
        async with connect(url(live_server, 1)) as one, connect(url(live_server, 2)) as two:
            await one.send(body)
            assert json.loads(await recv(one))["error"] == error
            await one.send("fine")
            assert await recv(one) == "Client 1: fine"
            assert await recv(two) == "Client 1: fine"  # and not the error

    asyncio.run(scenario())


def test_message_too_large_once_prefixed_is_answered_to_its_sender_only(
    live_server: LiveServer,
) -> None:
    async def scenario() -> None:
        async with connect(url(live_server, 1)) as one, connect(url(live_server, 2)) as two:
            # Within the limit as sent; over it as `Client 1: ...`, the text everyone gets.
            await one.send("x" * MAX_MESSAGE_BYTES)
            assert json.loads(await recv(one))["error"] == "message_too_large"
            await one.send("fine")
            assert await recv(one) == "Client 1: fine"
            assert await recv(two) == "Client 1: fine"  # and nothing before it

    asyncio.run(scenario())


def test_slow_client_is_dropped_without_stalling_the_others(
    live_server: LiveServer, settings: Settings
) -> None:
    count = 40
    texts = [f"{i}:{os.urandom(40_000).hex()}" for i in range(count)]  # incompressible

    async def read_all(ws: ClientConnection) -> list[str]:
        return [await recv(ws) for _ in range(count)]

    async def scenario() -> None:
        # A client that stops reading: tiny receive buffer, one queued frame, no deflate.
        raw = socket.socket()
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: the window
        raw.connect(("127.0.0.1", live_server.port))
        slow = await connect(url(live_server, 9), sock=raw, max_queue=1, compression=None)
        async with connect(url(live_server, 1)) as one, connect(url(live_server, 2)) as two:
            readers = [asyncio.create_task(read_all(ws)) for ws in (one, two)]
            for text in texts:
                await one.send(text)
            got = await asyncio.gather(*readers)
            assert got == [[f"Client 1: {t}" for t in texts]] * 2
            hub = local_hub(settings)
            await eventually(lambda: count_is(hub, 2), "the slow client to be dropped")
        slow.transport.abort()

    asyncio.run(scenario())


def test_no_message_lost_while_fifty_clients_come_and_go(live_server: LiveServer) -> None:
    talk = [f"m-{i}" for i in range(200)]
    churners = 50
    expected = len(talk) + churners

    async def collect(ws: ClientConnection, got: list[str]) -> None:
        while len(got) < expected:
            got.append(await recv(ws))

    async def churn(n: int) -> None:
        await asyncio.sleep(random.uniform(0, 0.5))
        # Unbounded queue: a churner never reads, and must still see the server's close.
        async with connect(url(live_server, 100 + n), max_queue=None) as ws:
            await ws.send(f"churn-{n}")
            await asyncio.sleep(random.uniform(0, 0.2))

    async def scenario() -> None:
        stayers = [await connect(url(live_server, n)) for n in (1, 2, 3)]
        received: list[list[str]] = [[] for _ in stayers]
        pairs = zip(stayers, received, strict=True)
        readers = [asyncio.create_task(collect(ws, got)) for ws, got in pairs]

        async def speak() -> None:
            for text in talk:
                await stayers[0].send(text)
                await asyncio.sleep(0.002)

        await asyncio.gather(speak(), *(churn(n) for n in range(churners)))
        done, _ = await asyncio.wait(readers, timeout=30)
        for got in received:
            from_one = [m for m in got if m.startswith("Client 1: ")]
            assert from_one == [f"Client 1: {t}" for t in talk]  # all, in order
            churned = {m.split(": ", 1)[1] for m in got if not m.startswith("Client 1: ")}
            assert churned == {f"churn-{n}" for n in range(churners)}
        assert len(done) == len(readers)
        for ws in stayers:
            await ws.close()

    asyncio.run(scenario())


def test_broadcast_function_reaches_local_sockets(
    live_server: LiveServer, settings: Settings
) -> None:
    async def scenario() -> None:
        async with connect(url(live_server, 1)) as one, connect(url(live_server, 2)) as two:
            # From another thread and loop than the server's, as a task runner might.
            result = await broadcast("maintenance at noon")
            assert (result.sent, result.gone, result.failed) == (2, 0, 0)
            assert [await recv(one), await recv(two)] == ["maintenance at noon"] * 2

    asyncio.run(scenario())


def test_client_that_vanishes_is_reported_gone(live_server: LiveServer, settings: Settings) -> None:
    async def scenario() -> None:
        async with connect(url(live_server, 1)) as one:
            two = await connect(url(live_server, 2))
            two.transport.abort()  # no close frame: the server learns only when it writes
            with pytest.raises(ConnectionClosed):
                await two.recv()
            await one.send("anyone?")
            assert await recv(one) == "Client 1: anyone?"
            # The server forgets it in its own thread, maybe a moment after one's copy left.
            hub = local_hub(settings)
            await eventually(lambda: count_is(hub, 1), "the vanished client to be forgotten")

    asyncio.run(scenario())
