"""graphql-transport-ws on Lambda: `lambda_ws`'s driver with recorded-style events, the
sessions and subscriptions in DynamoDB (moto), posts and closes (`DELETE`) on the
loopback @connections API; the chat beside it on the same API; a publish by the worker's
publisher."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from handler.api.chat import endpoint
from handler.composition import (
    aws_graphql_ws,
    aws_hub,
    aws_publisher,
    graphql_operations,
    token_verifier,
)
from handler.platform.realtime.drivers.api_gateway import ApiGatewayWebSocketDriver
from handler.settings import Settings
from tests.platform.graphql_ws.conftest import SUBSCRIPTIONS_TABLE
from tests.support.auth import bearer
from tests.support.connections_api import ConnectionsApi
from tests.support.events import LambdaContext
from tests.support.websocket_api import TABLE, connect, create_connections_table, message

PROTOCOL = "graphql-transport-ws"


@pytest.fixture
def settings(moto_aws: None, connections_api: ConnectionsApi) -> Iterator[Settings]:
    create_connections_table()
    connections_api.reset(boto3.session.Session().get_credentials(), "eu-west-1")
    for cached in (aws_hub, aws_graphql_ws, aws_publisher, graphql_operations):
        cached.cache_clear()
    yield Settings(
        environment="test",
        connections_table=TABLE,
        ws_callback_url=connections_api.url,
        subscriptions_table=SUBSCRIPTIONS_TABLE,
    )
    for cached in (aws_hub, aws_graphql_ws, aws_publisher, graphql_operations):
        cached.cache_clear()


@pytest.fixture
def ws(settings: Settings) -> ApiGatewayWebSocketDriver:
    return ApiGatewayWebSocketDriver(
        endpoint,
        lambda: aws_hub(settings),
        verifier=lambda: token_verifier(settings),
        graphql=lambda: aws_graphql_ws(settings),
    )


def graphql_connect(connection_id: str, *, age: float = 0.0) -> dict[str, Any]:
    event = connect(connection_id, subject=None)
    event["requestContext"]["connectedAt"] = int((time.time() - age) * 1000)
    event["headers"]["Sec-WebSocket-Protocol"] = PROTOCOL
    event["multiValueHeaders"]["Sec-WebSocket-Protocol"] = [PROTOCOL]
    return event


def disconnect(connection_id: str) -> dict[str, Any]:
    event = message(connection_id, None)
    event["requestContext"].update(routeKey="$disconnect", eventType="DISCONNECT")
    return event


def send(ws: ApiGatewayWebSocketDriver, connection_id: str, **frame: Any) -> dict[str, Any]:
    return ws(message(connection_id, json.dumps(frame)), LambdaContext())


def received(api: ConnectionsApi, connection_id: str) -> list[dict[str, Any]]:
    return [json.loads(post.body) for post in api.attempts(connection_id)]


def rows(connection_id: str) -> list[str]:
    answer = boto3.client("dynamodb").query(
        TableName=SUBSCRIPTIONS_TABLE,
        KeyConditionExpression="connectionId = :id",
        ExpressionAttributeValues={":id": {"S": connection_id}},
    )
    return sorted(item["sk"]["S"] for item in answer["Items"])


SUBSCRIBE = {"query": "subscription { userChanged(id: 1) { id name version } }"}


def test_connect_answers_the_subprotocol_and_opens_a_session(
    ws: ApiGatewayWebSocketDriver,
) -> None:
    answer = ws(graphql_connect("g1"), LambdaContext())
    assert answer == {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": PROTOCOL}}
    assert rows("g1") == ["session"]


def test_init_ping_subscribe_then_a_published_event_arrives_as_next(
    ws: ApiGatewayWebSocketDriver, settings: Settings, connections_api: ConnectionsApi
) -> None:
    ws(graphql_connect("g1"), LambdaContext())
    init = {"Authorization": bearer(settings, "alice")["Authorization"]}
    assert send(ws, "g1", type="connection_init", payload=init)["statusCode"] == 200
    send(ws, "g1", type="ping")
    send(ws, "g1", type="subscribe", id="s1", payload=SUBSCRIBE)
    assert rows("g1") == ["session", "sub#s1"]
    assert received(connections_api, "g1") == [{"type": "connection_ack"}, {"type": "pong"}]

    publisher = aws_publisher(settings)
    assert publisher is not None
    event = {"id": 1, "name": "Patrick", "age": 100, "version": 3}
    outcome = asyncio.run(publisher.deliver("userChanged", event, {"id": 1}))
    assert (outcome.subscriptions, outcome.executions, outcome.sent) == (1, 1, 1)
    assert received(connections_api, "g1")[-1] == {
        "id": "s1",
        "type": "next",
        "payload": {"data": {"userChanged": {"id": 1, "name": "Patrick", "version": 3}}},
    }

    send(ws, "g1", type="complete", id="s1")
    assert rows("g1") == ["session"]


def test_an_invalid_operation_is_answered_error_and_nothing_is_stored(
    ws: ApiGatewayWebSocketDriver, connections_api: ConnectionsApi
) -> None:
    ws(graphql_connect("g1"), LambdaContext())
    send(ws, "g1", type="connection_init")
    send(ws, "g1", type="subscribe", id="s1", payload={"query": "subscription { nope }"})
    [_, error] = received(connections_api, "g1")
    assert (error["type"], error["id"]) == ("error", "s1")
    assert rows("g1") == ["session"]
    assert connections_api.deleted == []


@pytest.mark.parametrize(
    "frames",
    [
        [{"type": "subscribe", "id": "s1", "payload": SUBSCRIBE}],  # 4401
        [{"type": "connection_init"}, {"type": "connection_init"}],  # 4429
        [
            {"type": "connection_init"},
            {"type": "subscribe", "id": "s1", "payload": SUBSCRIBE},
            {"type": "subscribe", "id": "s1", "payload": SUBSCRIBE},
        ],  # 4409
        [{"type": "connection_init", "payload": {"Authorization": "Bearer nope"}}],  # 4403
        [{"type": "next", "id": "1"}],  # 4400
    ],
    ids=["4401", "4429", "4409", "4403", "4400"],
)
def test_a_protocol_violation_deletes_the_connection_and_its_rows(
    ws: ApiGatewayWebSocketDriver, connections_api: ConnectionsApi, frames: list[dict[str, Any]]
) -> None:
    ws(graphql_connect("g1"), LambdaContext())
    for frame in frames:
        assert send(ws, "g1", **frame)["statusCode"] == 200
    assert connections_api.deleted == ["g1"]
    assert rows("g1") == []


def test_the_init_timeout_is_checked_on_the_next_message(
    ws: ApiGatewayWebSocketDriver, connections_api: ConnectionsApi, settings: Settings
) -> None:
    ws(graphql_connect("late", age=settings.graphql_ws_init_timeout + 1), LambdaContext())
    send(ws, "late", type="connection_init")
    assert connections_api.deleted == ["late"]
    assert received(connections_api, "late") == []


def test_disconnect_forgets_the_session_and_its_subscriptions(
    ws: ApiGatewayWebSocketDriver,
) -> None:
    ws(graphql_connect("g1"), LambdaContext())
    send(ws, "g1", type="connection_init")
    send(ws, "g1", type="subscribe", id="a", payload=SUBSCRIBE)
    send(ws, "g1", type="subscribe", id="b", payload=SUBSCRIBE)
    assert ws(disconnect("g1"), LambdaContext()) == {"statusCode": 200}
    assert rows("g1") == []


def test_the_chat_keeps_working_beside_it(
    ws: ApiGatewayWebSocketDriver, settings: Settings, connections_api: ConnectionsApi
) -> None:
    assert ws(connect("chat1", subject="bob"), LambdaContext())["statusCode"] == 200
    ws(graphql_connect("g1"), LambdaContext())
    assert ws(message("chat1", "hello"), LambdaContext()) == {"statusCode": 200}
    assert connections_api.posted("chat1") == b"Client bob: hello"
    assert connections_api.posted("g1") == b""  # a chat broadcast never reaches GraphQL
