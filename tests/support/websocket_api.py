"""API Gateway's WebSocket side in tests: the connections table (`TABLE`,
`create_connections_table`, under moto), recorded `$connect` and `$default` events for a
connection id (`connect`, signed in with a development token; `message`, `fresh`,
`signed_in`), a verifier for the drivers under test (`dev_verifier`), and what the
loopback @connections API took for an id (`posted`)."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import boto3

from handler.composition import token_verifier
from handler.settings import Settings
from tests.support.auth import token
from tests.support.connections_api import shared_connections_api
from tests.support.events import load_event

if TYPE_CHECKING:
    from handler.platform.auth.verifier import TokenVerifier

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


def with_query(event: dict[str, Any], query: dict[str, str] | None) -> dict[str, Any]:
    event["queryStringParameters"] = query
    event["multiValueQueryStringParameters"] = {k: [v] for k, v in (query or {}).items()}
    return event


def signed_in(event: dict[str, Any], subject: str = "7") -> dict[str, Any]:
    """A `$connect` event whose client signed in as `subject` (`?token=`, a development
    token), the other query parameters kept."""
    query = dict(event.get("queryStringParameters") or {})
    return with_query(event, {**query, "token": token(subject=subject)})


def connect(connection_id: str, subject: str | None = "7") -> dict[str, Any]:
    """A fresh `$connect` for `connection_id`, signed in as `subject` (None: no token)."""
    event = fresh(load_event("ws_connect"))
    event["requestContext"]["connectionId"] = connection_id
    with_query(event, None)
    return signed_in(event, subject) if subject is not None else event


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


def dev_verifier() -> Callable[[], TokenVerifier]:
    """The verifier factory a WebSocket driver under test is given: the development
    issuer's, which signed `connect`'s tokens."""
    settings = Settings(environment="test")
    return lambda: token_verifier(settings)
