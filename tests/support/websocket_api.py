"""API Gateway's WebSocket side in tests: the connections table (`TABLE`,
`create_connections_table`, under moto), recorded `$connect` and `$default` events for a
connection id (`connect`, `message`, `fresh`), and what the loopback @connections API
took for an id (`posted`)."""

from __future__ import annotations

import base64
import time
from typing import Any

import boto3

from tests.support.connections_api import shared_connections_api
from tests.support.events import load_event

TABLE = "connections"


def create_connections_table() -> None:
    """The stack's connections table, in the current (moto) account and region."""
    boto3.client("dynamodb").create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "connectionId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "connectionId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def fresh(event: dict[str, Any]) -> dict[str, Any]:
    """The recorded event as if it happened now: its row's ttl derives from connectedAt."""
    event["requestContext"]["connectedAt"] = int(time.time() * 1000)
    return event


def connect(connection_id: str, client_id: str | None = "7") -> dict[str, Any]:
    event = fresh(load_event("ws_connect"))
    event["requestContext"]["connectionId"] = connection_id
    query = {"client_id": client_id} if client_id is not None else None
    event["queryStringParameters"] = query
    event["multiValueQueryStringParameters"] = {k: [v] for k, v in (query or {}).items()}
    return event


def message(connection_id: str, body: str | bytes | None) -> dict[str, Any]:
    event = load_event("ws_default")
    event["requestContext"]["connectionId"] = connection_id
    if isinstance(body, bytes):
        event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
    else:
        event["body"] = body
    return event


def posted(connection_id: str) -> bytes:
    """Everything the loopback @connections API took for this id, every post signed."""
    api = shared_connections_api()
    assert all(post.signature_ok is not False for post in api.attempts(connection_id))
    return api.posted(connection_id)
