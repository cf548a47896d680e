"""graphql-transport-ws at /graphql on a real uvicorn: `gql` (a client library that speaks
the protocol) for the happy path, raw frames (`websockets`) for every close code."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import websockets
from gql import Client, gql
from gql.transport.websockets import WebsocketsTransport

from handler.app import create_app
from handler.settings import Settings
from tests.support.auth import bearer
from tests.support.servers import LiveServer

PROTOCOL = "graphql-transport-ws"


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings(environment="test", graphql_ws_init_timeout=0.5, graphql_ws_max_subscriptions=2)


@pytest.fixture(scope="module")
def server(settings: Settings) -> Iterator[LiveServer]:
    with LiveServer(create_app(settings)) as live:
        yield live


def ws_url(server: LiveServer) -> str:
    return server.url.replace("http://", "ws://") + "/graphql"


def token(settings: Settings, subject: str = "alice", *, admin: bool = False) -> str:
    return bearer(settings, subject, admin=admin)["Authorization"]


async def first_events(
    server: LiveServer, query: str, count: int, trigger: Any, *, init: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """Subscribe with gql, run `trigger` once subscribed, collect `count` results."""
    transport = WebsocketsTransport(
        url=ws_url(server), subprotocols=[PROTOCOL], init_payload=init or {}
    )
    results: list[dict[str, Any]] = []
    async with Client(transport=transport) as session:
        stream = session.subscribe(gql(query))
        first = asyncio.ensure_future(anext(stream))
        await asyncio.sleep(0.2)  # subscribed (the server stores it on `subscribe`)
        await asyncio.to_thread(trigger)
        results.append(await asyncio.wait_for(first, 5))
        while len(results) < count:
            results.append(await asyncio.wait_for(anext(stream), 5))
        await stream.aclose()  # sends `complete`
    return results


def test_gql_client_hears_the_user_a_post_created(server: LiveServer, settings: Settings) -> None:
    def create() -> None:
        body = {"name": "Sub", "email": "sub@example.com", "age": 3}
        answer = httpx.post(
            f"{server.url}/api/v2/users", json=body, headers=bearer(settings, "alice")
        )
        assert answer.status_code == 201, answer.text

    query = "subscription { userCreated { id name } }"
    [event] = asyncio.run(first_events(server, query, 1, create))
    assert event["userCreated"]["name"] == "Sub"


def test_user_changed_hears_its_user_only(server: LiveServer, settings: Settings) -> None:
    headers = bearer(settings, "root", admin=True)

    def change() -> None:
        for user_id, age in ((2, 50), (1, 101)):
            current = httpx.get(f"{server.url}/api/v2/users/{user_id}")
            answer = httpx.patch(
                f"{server.url}/api/v2/users/{user_id}",
                json={"age": age},
                headers={**headers, "If-Match": current.headers["ETag"]},
            )
            assert answer.status_code == 200, answer.text

    query = "subscription { userChanged(id: 1) { id name version } }"
    [event] = asyncio.run(
        first_events(server, query, 1, change, init={"Authorization": token(settings)})
    )
    assert event["userChanged"]["id"] == 1
    assert event["userChanged"]["name"] == "Patrick"


def test_announcement_reaches_subscribers(server: LiveServer, settings: Settings) -> None:
    def announce() -> None:
        answer = httpx.post(
            f"{server.url}/api/v2/announcements",
            json={"text": "maintenance"},
            headers=bearer(settings, "root", admin=True),
        )
        assert answer.status_code == 202, answer.text

    [event] = asyncio.run(
        first_events(server, "subscription { announcement { text } }", 1, announce)
    )
    assert event == {"announcement": {"text": "maintenance"}}


# Raw frames: each error path, as graphql-ws' PROTOCOL.md says.


async def raw(server: LiveServer, *frames: str | bytes, wait: float = 2.0) -> tuple[list[Any], Any]:
    """Send `frames`, return (what came back, the close code or None while open)."""
    async with websockets.connect(ws_url(server), subprotocols=[PROTOCOL]) as socket:  # type: ignore[list-item]
        assert socket.subprotocol == PROTOCOL
        for frame in frames:
            await socket.send(frame)
        got: list[Any] = []
        try:
            while True:
                got.append(json.loads(await asyncio.wait_for(socket.recv(), wait)))
        except TimeoutError:
            return got, None
        except websockets.ConnectionClosed as closed:
            return got, closed.rcvd.code if closed.rcvd else None


INIT = json.dumps({"type": "connection_init"})
ACK = {"type": "connection_ack"}
BAD_TOKEN_INIT = json.dumps({"type": "connection_init", "payload": {"Authorization": "Bearer x"}})
SUBSCRIBE = json.dumps(
    {"id": "1", "type": "subscribe", "payload": {"query": "subscription { userCreated { id } }"}}
)


def test_init_is_acked_and_pings_are_ponged_with_their_payload(server: LiveServer) -> None:
    ping = json.dumps({"type": "ping", "payload": {"n": 1}})
    got, code = asyncio.run(raw(server, ping, INIT, json.dumps({"type": "pong"}), wait=0.3))
    assert got == [{"type": "pong", "payload": {"n": 1}}, ACK]
    assert code is None


@pytest.mark.parametrize(
    ("frames", "code"),
    [
        (("not json",), 4400),
        ((json.dumps({"id": "1"}),), 4400),
        ((json.dumps({"type": "next", "id": "1", "payload": {}}),), 4400),
        ((INIT, json.dumps({"type": "subscribe", "payload": {"query": "x"}})), 4400),
        ((b"\x00binary",), 4400),
        ((SUBSCRIBE,), 4401),
        ((INIT, INIT), 4429),
        ((INIT, SUBSCRIBE, SUBSCRIBE), 4409),
        ((BAD_TOKEN_INIT,), 4403),
        ((), 4408),
    ],
    ids=["not-json", "no-type", "server-type", "no-id", "binary", "before-ack", "two-inits",
         "duplicate-id", "bad-token", "no-init"],
)  # fmt: skip
def test_protocol_violations_close_with_their_code(
    server: LiveServer, frames: tuple[str | bytes, ...], code: int
) -> None:
    _, closed = asyncio.run(raw(server, *frames))
    assert closed == code


def test_an_invalid_operation_gets_error_and_the_socket_stays_open(server: LiveServer) -> None:
    bad = {"id": "a", "type": "subscribe", "payload": {"query": "subscription { nope }"}}
    query = {"id": "b", "type": "subscribe", "payload": {"query": "{ about }"}}
    aliased = " ".join(f"a{n}: id" for n in range(40))  # the queries' alias limit is 30
    costly = {
        "id": "c",
        "type": "subscribe",
        "payload": {"query": f"subscription {{ userCreated {{ {aliased} }} }}"},
    }
    frames = [INIT, *(json.dumps(m) for m in (bad, query, costly))]
    got, code = asyncio.run(raw(server, *frames, wait=0.3))
    assert code is None
    assert got[0] == ACK
    assert [(m["type"], m["id"]) for m in got[1:]] == [
        ("error", "a"),
        ("error", "b"),
        ("error", "c"),
    ]
    assert all(m["payload"] and "message" in m["payload"][0] for m in got[1:])


def test_a_handshake_without_the_subprotocol_is_refused(server: LiveServer) -> None:
    async def attempt() -> int:
        try:
            async with websockets.connect(ws_url(server)):
                return 101
        except websockets.InvalidStatus as refused:
            return refused.response.status_code

    assert asyncio.run(attempt()) == 400


def test_a_subscription_past_the_cap_gets_error(server: LiveServer) -> None:
    query = {"query": "subscription { announcement { text } }"}
    frames = [INIT, *(json.dumps({"id": n, "type": "subscribe", "payload": query}) for n in "abc")]
    got, code = asyncio.run(raw(server, *frames, wait=0.3))
    assert code is None
    assert got[1:] == [
        {
            "id": "c",
            "type": "error",
            "payload": [{"message": "at most 2 subscriptions per connection"}],
        }
    ]


def test_a_subscription_posted_over_http_is_told_where_to_go(server: LiveServer) -> None:
    answer = httpx.post(
        f"{server.url}/graphql", json={"query": "subscription { userCreated { id } }"}
    )
    assert answer.status_code == 200
    assert answer.json() == {
        "data": None,
        "errors": [{"message": "subscribe over a WebSocket (graphql-transport-ws) at this URL"}],
    }
