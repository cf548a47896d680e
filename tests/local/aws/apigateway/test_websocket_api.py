"""The emulated WebSocket API and its @connections API (local.aws.apigateway.websocket_api) under a
real uvicorn, driven with the `websockets` client, boto3 and the project's sender."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from moto import mock_aws
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from handler.composition import aws_hub
from handler.platform.realtime.registries.dynamodb import DynamoDBRegistry
from handler.platform.realtime.senders.signed_http import SignedHttpSender
from handler.platform.realtime.types import ConnectionGone
from handler.settings import get_settings
from local.aws import topology
from local.aws.apigateway.websocket_api import websocket_api_app
from local.aws.lambda_.invoke import Failure, Invocation, Invoker
from tests.support.auth import token
from tests.support.events import load_event
from tests.support.gateway_doubles import GATEWAY_ID, FakeFunction, InProcessFunction, fresh_entry
from tests.support.servers import LiveServer
from tests.support.websocket_api import TABLE, create_connections_table

UNKNOWN_ID = "AAAAAAAAAAAAAAA="


@contextmanager
def websocket_api(function: Invoker, **options: Any) -> Iterator[str]:
    """The API's base URL, `http://127.0.0.1:PORT` (WS_CALLBACK_URL is this + `/dev`)."""
    with LiveServer(websocket_api_app(function, **options)) as server:
        yield server.url


def socket(url: str, query: str = "", **options: Any) -> ClientConnection:
    client: ClientConnection = connect(f"ws{url[4:]}/dev{query}", open_timeout=5, **options)
    return client


def management(url: str, **options: Any) -> Any:
    """boto3's client for @connections, as a function would build it (`options`: the
    client's region and keys, `testing` unless given)."""
    options.setdefault("region_name", topology.REGION)
    options.setdefault("aws_access_key_id", "testing")
    options.setdefault("aws_secret_access_key", "testing")
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=f"{url}/dev",
        config=Config(retries={"total_max_attempts": 1}),
        **options,
    )


def closed_code(ws: ClientConnection) -> int:
    """The code the server closed `ws` with (waits for the close, 5 s at most)."""
    with pytest.raises(ConnectionClosed) as closed:
        ws.recv(timeout=5)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


def error_code(call: Any, **params: Any) -> tuple[int, str]:
    with pytest.raises(ClientError) as error:
        call(**params)
    response = error.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]


@pytest.mark.parametrize("status", [403, 400])
def test_a_refused_connect_refuses_the_handshake_with_its_status(status: int) -> None:
    fake = FakeFunction(lambda event: {"statusCode": status, "body": "no"})
    with websocket_api(fake) as url, pytest.raises(InvalidStatus) as refused:
        socket(url)
    assert refused.value.response.status_code == status
    assert fake.routes() == ["$connect"]


def test_the_subprotocol_connect_chose_answers_the_handshake() -> None:
    def answer(event: dict[str, Any]) -> Any:
        offered = event["headers"]["Sec-WebSocket-Protocol"]
        assert offered == "chat, bearer.abc"
        return {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": "chat"}}

    fake = FakeFunction(answer)
    with websocket_api(fake) as url, socket(url, subprotocols=["chat", "bearer.abc"]) as ws:
        assert ws.subprotocol == "chat"


def test_a_failed_connect_invocation_refuses_with_502() -> None:
    fake = FakeFunction(lambda event: Invocation(failure=Failure.HANDLER))
    with websocket_api(fake) as url, pytest.raises(InvalidStatus) as refused:
        socket(url)
    assert refused.value.response.status_code == 502


def test_default_answers_are_dropped_and_failures_reported_to_the_client() -> None:
    def answer(event: dict[str, Any]) -> Any:
        if event["requestContext"]["routeKey"] != "$default":
            return {"statusCode": 200}
        if event["body"] == "fail":
            return Invocation(failure=Failure.HANDLER, detail="boom")
        return {"statusCode": 500, "body": "never sent back"}

    fake = FakeFunction(answer)
    with websocket_api(fake) as url, socket(url) as ws:
        ws.send("hello")
        with pytest.raises(TimeoutError):
            ws.recv(timeout=0.3)
        ws.send("fail")
        frame = json.loads(ws.recv(timeout=5))
        ws.send("still open")
        fake.wait_for(4)
    context = fake.events[2]["requestContext"]
    assert frame == {
        "message": "Internal server error",
        "connectionId": context["connectionId"],
        "requestId": context["requestId"],
    }


def test_connect_messages_and_disconnect_arrive_as_api_gateway_sends_them() -> None:
    fake = FakeFunction()
    with websocket_api(fake) as url:
        query = "?client_id=7&tag=a&tag=b"
        headers = {"X-Custom": "yes"}
        with socket(url, query, additional_headers=headers, user_agent_header="tests/1.0") as ws:
            ws.send("hello")
            ws.send(b"\x00\xff")
            fake.wait_for(3)
            ws.close(1000, "bye")
        connect_, text, binary, disconnect = fake.wait_for(4)
    recorded = {name: load_event(f"ws_{name}") for name in ("connect", "default", "disconnect")}
    for event, name in [(connect_, "connect"), (text, "default"), (disconnect, "disconnect")]:
        assert set(event) == set(recorded[name]), name
        assert set(event["requestContext"]) == set(recorded[name]["requestContext"]), name
    assert fake.routes() == ["$connect", "$default", "$default", "$disconnect"]
    contexts = [event["requestContext"] for event in fake.events]
    assert [c["eventType"] for c in contexts] == ["CONNECT", "MESSAGE", "MESSAGE", "DISCONNECT"]
    assert GATEWAY_ID.fullmatch(contexts[0]["connectionId"])
    assert len({(c["connectionId"], c["connectedAt"]) for c in contexts}) == 1
    assert len({c["requestId"] for c in contexts}) == 4
    assert all(
        c["stage"] == topology.WEBSOCKET_STAGE and c["messageDirection"] == "IN" for c in contexts
    )
    assert contexts[0]["identity"] == {"sourceIp": "127.0.0.1", "userAgent": "tests/1.0"}
    assert connect_["headers"]["Host"] == url[7:]
    assert connect_["headers"]["X-Custom"] == "yes"
    assert connect_["headers"]["X-Forwarded-For"] == "127.0.0.1"
    assert "Sec-WebSocket-Key" in connect_["headers"]
    assert connect_["multiValueHeaders"]["X-Custom"] == ["yes"]
    assert connect_["queryStringParameters"] == {"client_id": "7", "tag": "b"}
    assert connect_["multiValueQueryStringParameters"] == {"client_id": ["7"], "tag": ["a", "b"]}
    assert (text["body"], text["isBase64Encoded"]) == ("hello", False)
    assert (base64.b64decode(binary["body"]), binary["isBase64Encoded"]) == (b"\x00\xff", True)
    assert GATEWAY_ID.fullmatch(text["requestContext"]["messageId"])
    assert (contexts[3]["disconnectStatusCode"], contexts[3]["disconnectReason"]) == (1000, "bye")


def test_one_connections_messages_run_in_order_and_connections_run_side_by_side() -> None:
    fake = FakeFunction(delay=0.3)
    with websocket_api(fake) as url, socket(url, "?n=a") as a, socket(url, "?n=b") as b:
        for text in ("a1", "a2", "a3"):
            a.send(text)
        b.send("b1")
        fake.wait_for(6)
    bodies = [str(event["body"]) for event in fake.events if "body" in event]
    assert [body for body in bodies if body.startswith("a")] == ["a1", "a2", "a3"]
    assert bodies.index("b1") < bodies.index("a2"), "b1 waited for a's messages"


def test_a_message_over_128_kb_closes_the_socket_with_1009_uninvoked() -> None:
    fake = FakeFunction()
    limit = topology.WEBSOCKET_MAX_MESSAGE_BYTES
    with websocket_api(fake) as url, socket(url) as ws:
        ws.send("y" * limit)
        ws.send("x" * (limit + 1))
        assert closed_code(ws) == 1009
        events = fake.wait_for(3)
    assert fake.routes() == ["$connect", "$default", "$disconnect"]
    assert len(events[1]["body"]) == limit
    assert events[2]["requestContext"]["disconnectStatusCode"] == 1009


def test_an_idle_socket_is_closed_with_1001_and_disconnected() -> None:
    fake = FakeFunction()
    with websocket_api(fake, idle_timeout=0.6) as url, socket(url) as ws:
        started = time.monotonic()
        for _ in range(2):  # activity keeps it open
            time.sleep(0.4)
            ws.send("still here")
        assert closed_code(ws) == 1001
        elapsed = time.monotonic() - started
        disconnect = fake.wait_for(4)[3]["requestContext"]
    assert 1.3 < elapsed < 3
    assert (disconnect["disconnectStatusCode"], disconnect["disconnectReason"]) == (
        1001,
        "Going away",
    )


def test_the_maximum_connection_age_closes_even_a_busy_socket() -> None:
    fake = FakeFunction()
    with websocket_api(fake, max_connection_seconds=0.8) as url, socket(url) as ws:
        started = time.monotonic()
        closed = send_until_closed(ws, seconds=3)
        assert time.monotonic() - started < 2
    assert closed.rcvd is not None
    assert closed.rcvd.code == 1001


def send_until_closed(ws: ClientConnection, *, seconds: float) -> ConnectionClosed:
    """Send every 0.1 s until the server closes `ws` (an AssertionError after `seconds`)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            ws.send("busy")
        except ConnectionClosed as closed:
            return closed
        time.sleep(0.1)
    raise AssertionError(f"still open after {seconds} s")


def test_connections_api_posts_gets_and_deletes_for_boto3() -> None:
    fake = FakeFunction()
    with websocket_api(fake) as url, socket(url, user_agent_header="tests/1.0") as ws:
        connection_id = fake.wait_for(1)[0]["requestContext"]["connectionId"]
        api = management(url)
        api.post_to_connection(ConnectionId=connection_id, Data=b"hello")
        assert ws.recv(timeout=5) == "hello"
        api.post_to_connection(ConnectionId=connection_id, Data=b"\xff\x00")
        assert ws.recv(timeout=5) == b"\xff\x00"
        info = api.get_connection(ConnectionId=connection_id)
        assert info["Identity"] == {"SourceIp": "127.0.0.1", "UserAgent": "tests/1.0"}
        assert info["ConnectedAt"] <= info["LastActiveAt"] <= datetime.now(UTC)
        api.delete_connection(ConnectionId=connection_id)
        assert closed_code(ws) == 1000
        disconnect = fake.wait_for(2)[1]["requestContext"]
        assert disconnect["disconnectStatusCode"] == 1000
        assert disconnect["disconnectReason"] == "Connection Closed Normally"
        gone = (410, "GoneException")
        assert error_code(api.post_to_connection, ConnectionId=connection_id, Data=b"x") == gone
        assert error_code(api.get_connection, ConnectionId=connection_id) == gone
        assert error_code(api.delete_connection, ConnectionId=connection_id) == gone


def test_the_projects_signed_sender_is_accepted() -> None:
    async def post(sender: SignedHttpSender, connection_id: str, text: str) -> None:
        try:
            await sender.send(connection_id, text)
        finally:
            await sender.close()

    fake = FakeFunction()
    with websocket_api(fake) as url, socket(url) as ws:
        connection_id = fake.wait_for(1)[0]["requestContext"]["connectionId"]
        credentials = Credentials("testing", "testing")
        sender = SignedHttpSender(
            f"{url}/dev", region_name=topology.REGION, credentials=credentials
        )
        asyncio.run(post(sender, connection_id, "from the sender"))
        assert ws.recv(timeout=5) == "from the sender"
        sender = SignedHttpSender(
            f"{url}/dev", region_name=topology.REGION, credentials=credentials
        )
        with pytest.raises(ConnectionGone):
            asyncio.run(post(sender, UNKNOWN_ID, "to nobody"))


def test_unknown_connection_ids_are_410_gone() -> None:
    with websocket_api(FakeFunction()) as url:
        api = management(url)
        answers = [
            error_code(api.post_to_connection, ConnectionId=UNKNOWN_ID, Data=b"x"),
            error_code(api.get_connection, ConnectionId=UNKNOWN_ID),
            error_code(api.delete_connection, ConnectionId=UNKNOWN_ID),
        ]
    assert answers == [(410, "GoneException")] * 3


def test_unsigned_and_wrongly_signed_requests_are_403() -> None:
    fake = FakeFunction()
    with websocket_api(fake) as url, socket(url) as ws:
        connection_id = fake.wait_for(1)[0]["requestContext"]["connectionId"]
        unsigned = httpx.post(f"{url}/dev/@connections/{connection_id}", content=b"x")
        post = {"ConnectionId": connection_id, "Data": b"x"}
        wrong_secret = management(url, aws_secret_access_key="wrong").post_to_connection
        wrong_key = management(url, aws_access_key_id="AKIAOTHER").post_to_connection
        wrong_region = management(url, region_name="eu-west-1").post_to_connection
        answers = [error_code(call, **post) for call in (wrong_secret, wrong_key, wrong_region)]
        with pytest.raises(TimeoutError):
            ws.recv(timeout=0.3)
    assert unsigned.status_code == 403
    assert unsigned.json() == {"message": "Missing Authentication Token"}
    assert unsigned.headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"
    assert answers == [
        (403, "InvalidSignatureException"),
        (403, "UnrecognizedClientException"),
        (403, "InvalidSignatureException"),
    ]


def test_a_post_over_128_kb_is_413_payload_too_large() -> None:
    fake = FakeFunction()
    with websocket_api(fake) as url, socket(url):
        connection_id = fake.wait_for(1)[0]["requestContext"]["connectionId"]
        data = b"x" * (topology.WEBSOCKET_MAX_MESSAGE_BYTES + 1)
        post = management(url).post_to_connection
        assert error_code(post, ConnectionId=connection_id, Data=data) == (
            413,
            "PayloadTooLargeException",
        )


def test_the_real_websocket_function_chats_through_the_gateway(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", topology.REGION)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    entry: dict[str, Any] = {}  # the handler, imported once the server's URL is known

    def chat(event: dict[str, Any], context: Any) -> Any:
        return entry["handler"](event, context)

    function = InProcessFunction("websocket", chat)
    with mock_aws():
        create_connections_table()
        # The credentials the function signs with: moto's, under mock_aws.
        credentials = boto3.session.Session().get_credentials()
        assert credentials is not None
        server = LiveServer(websocket_api_app(function, credentials=credentials))
        monkeypatch.setenv("CONNECTIONS_TABLE", TABLE)
        monkeypatch.setenv("WS_CALLBACK_URL", f"{server.url}/dev")
        get_settings.cache_clear()
        aws_hub.cache_clear()
        try:
            with fresh_entry("handler.lambda_ws") as lambda_ws, server:
                entry["handler"] = lambda_ws.handler
                with pytest.raises(InvalidStatus) as refused:
                    socket(server.url, "?client_id=1")  # no token: the chat refuses it
                assert refused.value.response.status_code == 401
                with (
                    socket(server.url, f"?token={token(subject='1')}") as one,
                    socket(server.url, f"?token={token(subject='2')}") as two,
                ):
                    one.send("hi")
                    assert one.recv(timeout=5) == "Client 1: hi"
                    assert two.recv(timeout=5) == "Client 1: hi"
                assert wait_until_no_live_connections(), "each $disconnect closed its row"
        finally:
            get_settings.cache_clear()
            aws_hub.cache_clear()


def wait_until_no_live_connections(timeout: float = 5.0) -> bool:
    registry = DynamoDBRegistry(TABLE, client=boto3.client("dynamodb"))
    deadline = time.monotonic() + timeout
    while asyncio.run(registry.live(now=time.time())):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
