"""The graphql-transport-ws protocol's messages and close codes (graphql-ws' PROTOCOL.md).

Every message is a JSON object with a `type`; `id` names an operation, `payload` carries
its data. `read(text)` turns a client's text into a `Message` or raises `ProtocolClose`
with 4400, as graphql-ws' own server does for anything it cannot read; the builders
write the server's messages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

SUBPROTOCOL = "graphql-transport-ws"

# Close codes (graphql-ws `CloseCode`).
BAD_REQUEST = 4400
UNAUTHORIZED = 4401
FORBIDDEN = 4403
SUBPROTOCOL_NOT_ACCEPTABLE = 4406
INIT_TIMEOUT = 4408
SUBSCRIBER_EXISTS = 4409
TOO_MANY_INITS = 4429

CONNECTION_INIT = "connection_init"
CONNECTION_ACK = "connection_ack"
PING = "ping"
PONG = "pong"
SUBSCRIBE = "subscribe"
NEXT = "next"
ERROR = "error"
COMPLETE = "complete"
# What a client may send; `connection_ack`, `next` and `error` are the server's.
CLIENT_TYPES = frozenset({CONNECTION_INIT, PING, PONG, SUBSCRIBE, COMPLETE})
SERVER_TYPES = frozenset({CONNECTION_ACK, NEXT, ERROR})


class ProtocolClose(Exception):
    """The socket must close with `code` and `reason` (a protocol violation)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class Message:
    type: str
    id: str | None = None
    payload: dict[str, Any] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class SubscribePayload:
    """What `subscribe` asks for."""

    query: str
    variables: dict[str, Any]
    operation_name: str | None


def read(text: str) -> Message:
    """The client's message, or `ProtocolClose(4400)` naming what is wrong with it."""
    try:
        data = json.loads(text)
    except ValueError:
        raise ProtocolClose(BAD_REQUEST, "Invalid message received: not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise ProtocolClose(BAD_REQUEST, "Invalid message received: no type")
    kind: str = data["type"]
    if kind in SERVER_TYPES:
        raise ProtocolClose(BAD_REQUEST, f"Unexpected message of type {kind} received")
    if kind not in CLIENT_TYPES:
        raise ProtocolClose(BAD_REQUEST, f"Invalid message received: unknown type {kind[:50]}")
    payload = data.get("payload")
    if payload is not None and not isinstance(payload, dict):
        raise ProtocolClose(BAD_REQUEST, f"Invalid message received: {kind} payload")
    operation_id = data.get("id")
    if kind in (SUBSCRIBE, COMPLETE) and (not isinstance(operation_id, str) or not operation_id):
        raise ProtocolClose(BAD_REQUEST, f"Invalid message received: {kind} without an id")
    return Message(kind, operation_id, payload)


def subscribe_payload(message: Message) -> SubscribePayload:
    payload = message.payload or {}
    query, variables = payload.get("query"), payload.get("variables")
    name = payload.get("operationName")
    if not isinstance(query, str):
        raise ProtocolClose(BAD_REQUEST, "Invalid message received: subscribe without a query")
    if variables is not None and not isinstance(variables, dict):
        raise ProtocolClose(BAD_REQUEST, "Invalid message received: variables")
    if name is not None and not isinstance(name, str):
        raise ProtocolClose(BAD_REQUEST, "Invalid message received: operationName")
    return SubscribePayload(query, variables or {}, name)


def _text(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"))


def ack() -> str:
    return _text({"type": CONNECTION_ACK})


def pong(payload: dict[str, Any] | None = None) -> str:
    return _text({"type": PONG, "payload": payload} if payload is not None else {"type": PONG})


def errors(operation_id: str, found: list[dict[str, Any]]) -> str:
    return _text({"id": operation_id, "type": ERROR, "payload": found})


def next_text(operation_id: str, result_json: str) -> str:
    """`next` around a result already encoded once (the same result goes to many)."""
    return '{"id":' + json.dumps(operation_id) + ',"type":"next","payload":' + result_json + "}"
