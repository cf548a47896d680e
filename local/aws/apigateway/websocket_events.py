"""The events API Gateway's WebSocket API sends its Lambda integrations: `$connect`,
`$default` and `$disconnect`, shaped as the recorded ones in tests/events/ws_*.json; and
what the gateway makes of the outcomes (`connect_status`, `error_frame`).

The handshake's headers are passed in canonical case (`Host`, `Sec-WebSocket-Key`): API
Gateway keeps the client's casing, which ASGI servers lower-case before the app sees it,
and browsers and websockets clients send these canonical names.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

from local.aws.apigateway.ids import new_gateway_id, request_time, trace_id
from local.aws.lambda_.invoke import Invocation

# Consumed by the gateway itself: they describe the upgrade, not the request.
_HOP_BY_HOP = frozenset({"connection", "upgrade"})
_CANONICAL = {
    "sec-websocket-key": "Sec-WebSocket-Key",
    "sec-websocket-version": "Sec-WebSocket-Version",
    "sec-websocket-extensions": "Sec-WebSocket-Extensions",
    "sec-websocket-protocol": "Sec-WebSocket-Protocol",
    "x-amzn-trace-id": "X-Amzn-Trace-Id",
}


@dataclass(frozen=True)
class ConnectionInfo:
    """What every event of one connection repeats."""

    connection_id: str
    connected_at_ms: int
    source_ip: str
    user_agent: str
    host: str  # the Host the client connected to
    api_id: str
    stage: str


def canonical(name: str) -> str:
    return _CANONICAL.get(name) or "-".join(part.capitalize() for part in name.split("-"))


def _context(
    info: ConnectionInfo, route_key: str, event_type: str, epoch_ms: int
) -> dict[str, Any]:
    request_id = new_gateway_id()
    return {
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": request_id,
        "requestTime": request_time(epoch_ms),
        "messageDirection": "IN",
        "stage": info.stage,
        "connectedAt": info.connected_at_ms,
        "requestTimeEpoch": epoch_ms,
        "identity": {"sourceIp": info.source_ip, "userAgent": info.user_agent},
        "requestId": request_id,
        "domainName": info.host.partition(":")[0],
        "connectionId": info.connection_id,
        "apiId": info.api_id,
    }


def _single_and_multi(pairs: list[tuple[str, str]]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """REST-style parameters: the last value of each name, and all of them."""
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        multi.setdefault(name, []).append(value)
    return {name: values[-1] for name, values in multi.items()}, multi


def connect_event(
    info: ConnectionInfo,
    headers: list[tuple[str, str]],
    query_string: str,
    *,
    port: int,
    scheme: str,
    epoch_ms: int,
) -> dict[str, Any]:
    """`$connect`: the handshake's headers and query string."""
    pairs = [(canonical(k), v) for k, v in headers if k not in _HOP_BY_HOP]
    names = {name for name, _ in pairs}
    pairs += [
        (name, value)
        for name, value in (
            ("X-Amzn-Trace-Id", trace_id(epoch_ms)),
            ("X-Forwarded-For", info.source_ip),
            ("X-Forwarded-Port", str(port)),
            ("X-Forwarded-Proto", scheme),
        )
        if name not in names
    ]
    single, multi = _single_and_multi(pairs)
    event: dict[str, Any] = {"headers": single, "multiValueHeaders": multi}
    query = parse_qsl(query_string, keep_blank_values=True)
    if query:
        params, multi_params = _single_and_multi(query)
        event["queryStringParameters"] = params
        event["multiValueQueryStringParameters"] = multi_params
    event["requestContext"] = _context(info, "$connect", "CONNECT", epoch_ms)
    event["isBase64Encoded"] = False
    return event


def message_event(info: ConnectionInfo, data: str | bytes, *, epoch_ms: int) -> dict[str, Any]:
    """`$default`: a text frame as the body, a binary frame base64-encoded."""
    context = _context(info, "$default", "MESSAGE", epoch_ms)
    context["messageId"] = new_gateway_id()
    if isinstance(data, bytes):
        body, encoded = base64.b64encode(data).decode(), True
    else:
        body, encoded = data, False
    return {"requestContext": context, "body": body, "isBase64Encoded": encoded}


def disconnect_event(
    info: ConnectionInfo, code: int, reason: str, *, epoch_ms: int
) -> dict[str, Any]:
    """`$disconnect`, with the headers API Gateway sends then (the recorded ones)."""
    headers = {"Host": info.host, "x-api-key": "", "X-Forwarded-For": "", "x-restapi": ""}
    context = _context(info, "$disconnect", "DISCONNECT", epoch_ms)
    context["disconnectStatusCode"] = code
    context["disconnectReason"] = reason
    return {
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "requestContext": context,
        "isBase64Encoded": False,
    }


def error_frame(context: dict[str, Any]) -> str:
    """API Gateway's message to the client after a failed `$default`, spaced as it is."""
    ids = f'"connectionId":"{context["connectionId"]}", "requestId":"{context["requestId"]}"'
    return f'{{"message": "Internal server error", {ids}}}'


def connect_subprotocol(invocation: Invocation | None) -> str | None:
    """The subprotocol a `$connect` answer chose: its `Sec-WebSocket-Protocol` header,
    which API Gateway puts in the handshake's answer (a browser that offered
    subprotocols fails a handshake that names none)."""
    payload = invocation.payload if invocation is not None else None
    headers = payload.get("headers") if isinstance(payload, dict) else None
    if not isinstance(headers, dict):
        return None
    for name, value in headers.items():
        if str(name).lower() == "sec-websocket-protocol" and isinstance(value, str) and value:
            return value
    return None


def connect_status(invocation: Invocation | None) -> int:
    """The handshake's status for a `$connect` outcome (None: no answer in time)."""
    if invocation is None or invocation.failure is not None:
        return 502
    payload = invocation.payload
    status = payload.get("statusCode") if isinstance(payload, dict) else None
    if status is None:
        return 200
    try:
        code = int(HTTPStatus(int(status)))
    except (TypeError, ValueError):
        return 502  # not an answer API Gateway can read: as a failed invocation
    return code if 200 <= code <= 599 else 502
