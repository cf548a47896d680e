"""The chat on AWS: `lambda_ws.handler` with DynamoDB and @connections under moto."""

from __future__ import annotations

import asyncio
import importlib
import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import boto3
import pytest
from moto import mock_aws
from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends
from moto.core import DEFAULT_ACCOUNT_ID

from handler.api.chat import endpoint
from handler.composition import aws_hub, development_issuer, task_worker, uses_aws_websockets
from handler.platform.realtime import Connection, Hub, broadcast
from handler.platform.realtime.drivers.api_gateway import ApiGatewayWebSocketDriver
from handler.platform.realtime.ports import Sender
from handler.platform.realtime.registries.dynamodb import DynamoDBRegistry
from handler.platform.realtime.registries.memory import MemoryRegistry
from handler.platform.realtime.types import MAX_MESSAGE_BYTES
from handler.settings import Settings, get_settings
from tests.support.auth import token
from tests.support.boto3_sender import ManagementApiSender
from tests.support.connections_api import ConnectionsApi
from tests.support.events import LambdaContext, load_event
from tests.support.processes import run_python
from tests.support.websocket_api import (
    TABLE,
    connect,
    create_connections_table,
    dev_verifier,
    fresh,
    message,
    posted,
    signed_in,
    with_query,
)

REGION = "eu-west-1"
CALLBACK_URL = f"https://abc123defg.execute-api.{REGION}.amazonaws.com/prod"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        create_connections_table()
        aws_hub.cache_clear()
        yield
        aws_hub.cache_clear()


@pytest.fixture
def api(aws: None, connections_api: ConnectionsApi) -> ConnectionsApi:
    """@connections on a loopback port, checking each post's signature against the
    credentials the sender should use (the ones mock_aws exported)."""
    connections_api.reset(boto3.session.Session().get_credentials(), REGION)
    return connections_api


@pytest.fixture
def aws_settings(api: ConnectionsApi) -> Settings:
    return Settings(environment="test", connections_table=TABLE, ws_callback_url=api.url)


@pytest.fixture
def ws(aws_settings: Settings) -> ApiGatewayWebSocketDriver:
    return ApiGatewayWebSocketDriver(
        endpoint, lambda: aws_hub(aws_settings), verifier=dev_verifier()
    )


class NullSender(Sender):
    async def send(self, connection_id: str, text: str) -> None:
        return None


def moto_posted(connection_id: str) -> bytes:
    """Everything moto's @connections received for this id (the boto3 reference sender)."""
    backend = apigatewaymanagementapi_backends[DEFAULT_ACCOUNT_ID][REGION]
    # moto keys connections by the id as it appears, percent-encoded, in the URL path.
    connection = backend.connections.get(quote(connection_id, safe=""))
    return connection.data if connection is not None else b""


def stored() -> dict[str, dict[str, Any]]:
    items = boto3.client("dynamodb").scan(TableName=TABLE)["Items"]
    return {item["connectionId"]["S"]: item for item in items}


def call(ws: ApiGatewayWebSocketDriver, event: dict[str, Any]) -> dict[str, Any]:
    return ws(event, LambdaContext())


def test_recorded_events_drive_the_chat(ws: ApiGatewayWebSocketDriver) -> None:
    # The recorded client signs in as 7; conn-8's token says 7 too (a name is a subject).
    assert call(ws, signed_in(fresh(load_event("ws_connect")), "7"))["statusCode"] == 200
    assert call(ws, connect("conn-8", "7"))["statusCode"] == 200

    assert call(ws, load_event("ws_default"))["statusCode"] == 200

    assert posted("WyHPAfymhcwCENw=") == b"Client 7: hello"
    assert posted("conn-8") == b"Client 7: hello"
    assert call(ws, load_event("ws_disconnect"))["statusCode"] == 200
    closed = stored()["WyHPAfymhcwCENw="]
    assert "closedAt" in closed, "kept a minute for a late message, then gone by its ttl"
    assert int(closed["ttl"]["N"]) <= time.time() + 62
    live = asyncio.run(DynamoDBRegistry(TABLE).live(now=time.time()))
    assert [c.connection_id for c in live] == ["conn-8"]


def test_a_message_after_its_disconnect_reaches_the_others(ws: ApiGatewayWebSocketDriver) -> None:
    call(ws, connect("conn-1", "1"))
    call(ws, connect("conn-2", "2"))

    disconnect = load_event("ws_disconnect")
    disconnect["requestContext"]["connectionId"] = "conn-1"
    assert call(ws, disconnect)["statusCode"] == 200
    assert call(ws, message("conn-1", "last words"))["statusCode"] == 200

    assert posted("conn-2") == b"Client 1: last words"
    assert posted("conn-1") == b"", "a closed connection is no broadcast target"


def test_connect_stores_the_subject_and_ttl_past_two_hours(ws: ApiGatewayWebSocketDriver) -> None:
    # As recorded (connectedAt 1721554758417 ms), signed in as 7.
    assert call(ws, signed_in(load_event("ws_connect"), "7"))["statusCode"] == 200

    item = stored()["WyHPAfymhcwCENw="]
    connected_at = 1721554758.417  # requestContext.connectedAt, in ms in the event
    assert item["clientId"] == {"S": "7"}
    assert float(item["connectedAt"]["N"]) == pytest.approx(connected_at)
    margin = int(item["ttl"]["N"]) - (connected_at + 2 * 3600)
    assert 0 < margin <= 15 * 60


@pytest.mark.parametrize(
    "query",
    [None, {"client_id": "7"}, {"token": ""}, {"token": "not-a-jwt"}, {"token": "a.b.c"}],
)
def test_connect_without_a_valid_token_is_refused_401(
    ws: ApiGatewayWebSocketDriver, query: dict[str, str] | None
) -> None:
    answer = call(ws, with_query(connect("conn-x", None), query))

    assert answer["statusCode"] == 401
    assert json.loads(answer["body"])["error"]
    assert stored() == {}


def test_an_expired_token_is_refused_401() -> None:
    expired = development_issuer(Settings(environment="test")).issue("7", ttl=1, now=1000)
    ws = ApiGatewayWebSocketDriver(
        endpoint, lambda: Hub(MemoryRegistry(), NullSender()), verifier=dev_verifier()
    )

    answer = call(ws, with_query(connect("conn-x", None), {"token": expired}))

    assert answer["statusCode"] == 401


def test_the_client_id_parameter_names_nobody(ws: ApiGatewayWebSocketDriver) -> None:
    event = with_query(connect("conn-1", None), {"client_id": "1"})
    assert call(ws, signed_in(event, "alice"))["statusCode"] == 200

    call(ws, message("conn-1", "hi"))

    assert stored()["conn-1"]["clientId"] == {"S": "alice"}
    assert posted("conn-1") == b"Client alice: hi"


def test_a_token_in_the_bearer_subprotocol_signs_in(ws: ApiGatewayWebSocketDriver) -> None:
    event = connect("conn-1", None)
    protocols = f"chat, bearer.{token(subject='bob')}"
    event["headers"]["Sec-WebSocket-Protocol"] = protocols
    event["multiValueHeaders"]["Sec-WebSocket-Protocol"] = [protocols]

    answer = call(ws, event)

    assert answer["statusCode"] == 200
    assert answer["headers"]["Sec-WebSocket-Protocol"] == "chat", "the token is never echoed"
    assert stored()["conn-1"]["clientId"] == {"S": "bob"}


def test_message_reaches_every_connection_including_the_sender(
    ws: ApiGatewayWebSocketDriver,
) -> None:
    for n in (1, 2, 3):
        call(ws, connect(f"conn-{n}", str(n)))

    call(ws, message("conn-2", "hi all"))
    call(ws, message("conn-3", "yo"))

    for n in (1, 2, 3):
        assert posted(f"conn-{n}") == b"Client 2: hi allClient 3: yo"


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ("x" * (MAX_MESSAGE_BYTES + 1), 413, "message_too_large"),
        ("é" * (MAX_MESSAGE_BYTES // 2 + 1), 413, "message_too_large"),
        (b"\x00\x01binary", 415, "binary_not_supported"),
        ("", 400, "empty_message"),
        (None, 400, "empty_message"),
    ],
)
def test_refused_message_is_answered_to_its_sender_only(
    ws: ApiGatewayWebSocketDriver, body: str | bytes | None, status: int, error: str
) -> None:
    call(ws, connect("conn-1", "1"))
    call(ws, connect("conn-2", "2"))

    answer = call(ws, message("conn-1", body))

    assert answer["statusCode"] == status
    assert json.loads(answer["body"])["error"] == error
    assert json.loads(posted("conn-1"))["error"] == error
    assert posted("conn-2") == b""


def test_message_at_the_limit_is_accepted(ws: ApiGatewayWebSocketDriver) -> None:
    call(ws, connect("conn-1", "1"))
    text = "x" * (MAX_MESSAGE_BYTES - 100)

    assert call(ws, message("conn-1", text))["statusCode"] == 200
    assert posted("conn-1") == f"Client 1: {text}".encode()


def test_message_too_large_once_prefixed_is_refused_to_its_sender_only(
    ws: ApiGatewayWebSocketDriver,
) -> None:
    call(ws, connect("conn-1", "1"))
    call(ws, connect("conn-2", "2"))

    # Accepted on arrival (exactly 128 KB), but `Client 1: ` makes the post too large.
    answer = call(ws, message("conn-1", "x" * MAX_MESSAGE_BYTES))

    assert answer["statusCode"] == 413
    assert json.loads(answer["body"])["error"] == "message_too_large"
    assert json.loads(posted("conn-1"))["error"] == "message_too_large"
    assert posted("conn-2") == b""


def test_message_from_an_unregistered_connection_is_refused(ws: ApiGatewayWebSocketDriver) -> None:
    answer = call(ws, message("never-connected", "hi"))

    assert answer["statusCode"] == 410
    assert json.loads(posted("never-connected"))["error"] == "unknown_connection"


def test_unknown_route_key_answers_400(ws: ApiGatewayWebSocketDriver) -> None:
    event = message("conn-1", "hi")
    event["requestContext"]["routeKey"] = "sendMessage"

    answer = call(ws, event)

    assert answer["statusCode"] == 400
    assert json.loads(answer["body"])["error"] == "unknown_route"


@pytest.mark.parametrize("event", [{}, {"requestContext": "x"}, [], {"requestContext": {}}])
def test_malformed_event_answers_400(ws: ApiGatewayWebSocketDriver, event: Any) -> None:
    assert call(ws, event)["statusCode"] == 400


def test_broadcast_skips_rows_past_their_ttl(ws: ApiGatewayWebSocketDriver) -> None:
    call(ws, connect("live", "1"))
    # moto never expires items, like DynamoDB before its lazy sweep.
    boto3.client("dynamodb").put_item(
        TableName=TABLE,
        Item={
            "connectionId": {"S": "stale"},
            "clientId": {"S": "2"},
            "connectedAt": {"N": "1000"},
            "ttl": {"N": str(int(time.time()) - 1)},
        },
    )

    call(ws, message("live", "hi"))
    answer = call(ws, message("stale", "still here?"))

    assert posted("live") == b"Client 1: hi"
    assert (
        posted("stale")
        == json.dumps(
            {
                "error": "unknown_connection",
                "detail": "this connection is not registered; reconnect",
            }
        ).encode()
    )
    assert answer["statusCode"] == 410


def test_gone_target_is_deleted_and_other_failures_do_not_abort(
    ws: ApiGatewayWebSocketDriver, api: ConnectionsApi
) -> None:
    for n in range(1, 7):
        call(ws, connect(f"conn-{n}", str(n)))
    api.gone |= {"conn-2", "conn-4"}
    api.throttled.add("conn-3")

    assert call(ws, message("conn-2", "bye"))["statusCode"] == 200

    # The sender (conn-2) is itself gone: it is deleted as a target, like conn-4.
    assert set(stored()) == {"conn-1", "conn-3", "conn-5", "conn-6"}
    for n in (1, 5, 6):
        assert posted(f"conn-{n}") == b"Client 2: bye"


def test_broadcast_result_counts_each_outcome(aws_settings: Settings, api: ConnectionsApi) -> None:
    hub = aws_hub(aws_settings)
    for name in "abcd":
        asyncio.run(hub.join(Connection(name, "1", time.time())))
    api.gone.add("b")
    api.throttled.add("c")

    result = asyncio.run(hub.broadcast("news"))

    assert (result.sent, result.gone, result.failed) == (2, 1, 1)
    assert result.gone_ids == ["b"]


def test_boto3_reference_sender_posts_through_moto(aws: None) -> None:
    sender = ManagementApiSender(CALLBACK_URL, concurrency=4)
    hub = Hub(DynamoDBRegistry(TABLE), sender, concurrency=4)
    asyncio.run(hub.join(Connection("conn-1", "1", time.time())))

    result = asyncio.run(hub.broadcast("news"))

    assert (result.sent, result.gone, result.failed) == (1, 0, 0)
    assert moto_posted("conn-1") == b"news"


def test_entry_module_builds_its_hub_from_the_environment(
    api: ConnectionsApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONNECTIONS_TABLE", TABLE)
    monkeypatch.setenv("WS_CALLBACK_URL", api.url)
    get_settings.cache_clear()
    try:
        import handler.lambda_ws

        lambda_ws = importlib.reload(handler.lambda_ws)
        answer = lambda_ws.handler(signed_in(fresh(load_event("ws_connect"))), LambdaContext())
        assert answer["statusCode"] == 200
        assert lambda_ws.handler(load_event("ws_default"), LambdaContext())["statusCode"] == 200
        assert posted("WyHPAfymhcwCENw=") == b"Client 7: hello"
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize(
    ("module", "unwanted"),
    [
        # boto3 too: the WebSocket function's clients are built on the first event.
        ("handler.lambda_ws", ["boto3", "fastapi", "starlette", "handler.api.users"]),
        # The worker needs boto3 (Powertools idempotency) but no web framework, and none of
        # the users resource (its tasks are the demo's own task modules).
        ("handler.lambda_worker", ["fastapi", "starlette", "handler.api.users"]),
    ],
)
def test_entry_modules_import_no_web_framework(module: str, unwanted: list[str]) -> None:
    code = f"import sys, {module}; print(sorted(set({unwanted!r}) & set(sys.modules)))"
    out = run_python("-c", code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_broadcast_function_uses_dynamodb_and_connections(
    ws: ApiGatewayWebSocketDriver, aws_settings: Settings
) -> None:
    call(ws, connect("conn-1", "1"))

    task_worker(aws_settings)  # the worker's init installs the hub its tasks broadcast through
    result = asyncio.run(broadcast("maintenance at noon"))

    assert (result.sent, result.gone, result.failed) == (1, 0, 0)
    assert posted("conn-1") == b"maintenance at noon"


@pytest.mark.parametrize("names", [{"connections_table": TABLE}, {"ws_callback_url": CALLBACK_URL}])
def test_half_configured_aws_realtime_is_refused(names: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="together"):
        uses_aws_websockets(Settings(environment="test", **names))
