"""The Lambda driver: API Gateway WebSocket events -> the same `Dispatcher` the local route uses.

`$connect` verifies the token (`?token=` or a `bearer.<token>` subprotocol), validates and
records the connection (a non-2xx answer refuses the handshake) and answers the chosen
subprotocol in `Sec-WebSocket-Protocol` (API Gateway fails a handshake that offered
subprotocols without one),
`$default` runs the message handler, `$disconnect` forgets the connection; any other
route key is logged and answered 400. Nothing here builds the HTTP app (cold start).

With `graphql` (the graphql-transport-ws protocol), a `$connect` that offers that
subprotocol opens a GraphQL session instead of a chat connection (the token travels in
`connection_init`), and each `$default` goes to the protocol when the connection has a
session, to the chat otherwise. The protocol closes a connection with `DELETE
@connections` (API Gateway has no way to send a close code: the code is logged).

`__call__` never raises, whatever JSON value it is given: an event it cannot read (no
request context, a connection id that is not a short token, a query, identity or body of
the wrong type) answers 400 `bad_event` with one WARNING line; only a failure of ours
(the registry, the sender) answers 500.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from handler.platform.graphql_ws.protocol import GraphQLWsProtocol, Link
from handler.platform.graphql_ws.subscription_store import StoreError
from handler.platform.realtime.endpoint import (
    TTL_MARGIN_SECONDS,
    UNAVAILABLE,
    Dispatcher,
    WebSocketEndpoint,
)
from handler.platform.realtime.handshake import offered
from handler.platform.realtime.hub import Hub
from handler.platform.realtime.types import (
    MAX_CONNECTION_SECONDS,
    ConnectRequest,
    MessageRefused,
    Refused,
    RegistryError,
)
from handler.platform.runtime.event_loop import environment_loop
from handler.platform.runtime.logs import bind_lambda_context

if TYPE_CHECKING:
    from handler.platform.auth.verifier import TokenVerifier

logger = logging.getLogger(__name__)

Response = dict[str, Any]

# API Gateway's connection ids are 16 base64 characters. Bounded, because the id becomes a
# DynamoDB key (2 KB at most) and a path segment of every @connections call.
_CONNECTION_ID = re.compile(r"[A-Za-z0-9=+/_-]{1,128}")
# Epoch milliseconds that a float holds exactly (a larger int would overflow the division).
_MAX_EPOCH_MS = 2**53


class BadEvent(ValueError):
    """The event is not one API Gateway sends: answered 400 `bad_event`."""


class ApiGatewayWebSocketDriver:
    """`handler(event, context)` for API Gateway WebSocket routes.

    The hub is built on the first event (`hub_factory`), then reused while the execution
    environment stays warm; events run on the environment's loop (`environment_loop`).
    """

    def __init__(
        self,
        endpoint: WebSocketEndpoint,
        hub_factory: Callable[[], Hub],
        *,
        verifier: Callable[[], TokenVerifier] | None = None,
        graphql: Callable[[], GraphQLWsProtocol | None] | None = None,
    ) -> None:
        self.endpoint = endpoint
        self._hub_factory = hub_factory
        self._verifier = verifier
        self._graphql_factory = graphql
        self._graphql: GraphQLWsProtocol | None = None
        self._dispatcher: Dispatcher | None = None
        self.loop = environment_loop()
        self._routes: dict[str, Callable[[dict[str, Any], str], Awaitable[Response]]] = {
            "$connect": self._connect,
            "$default": self._message,
            "$disconnect": self._disconnect,
        }

    @property
    def dispatcher(self) -> Dispatcher:
        if self._dispatcher is None:
            hub = self._hub_factory()
            self._dispatcher = Dispatcher(self.endpoint, hub, verifier=self._verifier)
        return self._dispatcher

    @property
    def graphql(self) -> GraphQLWsProtocol | None:
        if self._graphql is None and self._graphql_factory is not None:
            self._graphql = self._graphql_factory()
        return self._graphql

    def __call__(self, event: Any, context: Any) -> Response:
        bind_lambda_context(context)
        route_key, connection_id = "?", "?"
        try:
            route_key = _route_key(event)
            route = self._routes.get(route_key)
            if route is None:
                logger.warning("unknown WebSocket route key %s", _shown(route_key))
                return _answer(
                    400, "unknown_route", f"no handler for route key {_shown(route_key)}"
                )
            connection_id = _connection_id(event)
            return self.loop.run_until_complete(route(event, connection_id))
        except BadEvent as exc:
            logger.warning("%s event refused: %s", _shown(route_key), exc)
            return _answer(400, "bad_event", str(exc))
        except (RegistryError, StoreError) as exc:
            # DynamoDB throttled or unreachable: the client's to retry, not a bug of ours.
            logger.warning("%s for %s: %s", route_key, connection_id, exc)
            return _answer(503, UNAVAILABLE, "the connection store is unavailable; try again")
        except Exception:
            logger.exception("%s for %s failed", route_key, connection_id)
            return _answer(500, "internal_error", "Internal server error")

    async def _connect(self, event: dict[str, Any], connection_id: str) -> Response:
        request, connected_at = _connect_request(event, connection_id)
        graphql = self.graphql
        if graphql is not None and graphql.subprotocol in request.protocols:
            ttl = int(connected_at + MAX_CONNECTION_SECONDS + TTL_MARGIN_SECONDS)
            await graphql.opened(connection_id, connected_at=connected_at, ttl=ttl)
            return {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": graphql.subprotocol}}
        try:
            connection = await self.dispatcher.accept(
                request, connected_at=connected_at, expires=True
            )
        except Refused as exc:
            logger.info(
                "connection %s from %s refused: %s", connection_id, request.source_ip, exc.reason
            )
            return _answer(exc.status_code, "refused", exc.reason)
        await self.dispatcher.join(connection)
        protocol = self.dispatcher.subprotocol(request)
        if protocol is None:
            return {"statusCode": 200}
        return {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": protocol}}

    async def _message(self, event: dict[str, Any], connection_id: str) -> Response:
        body = _body(event)
        graphql = self.graphql
        if graphql is not None:
            link = _GatewayLink(connection_id, self.dispatcher.hub)
            if await graphql.received(link, body):
                return {"statusCode": 200}
        try:
            await self.dispatcher.receive(connection_id, body)
        except MessageRefused as exc:
            return _answer(exc.status_code, exc.code, exc.detail)
        return {"statusCode": 200}

    async def _disconnect(self, event: dict[str, Any], connection_id: str) -> Response:
        if self.graphql is not None:
            await self.graphql.closed(connection_id)  # none of its rows: one empty Query
        await self.dispatcher.disconnect(connection_id)
        return {"statusCode": 200}


class _GatewayLink(Link):
    """The protocol's hold on an API Gateway connection: posts through the hub; a close
    is `DELETE @connections` (the client sees API Gateway close the socket, not the
    protocol's code, which is logged)."""

    def __init__(self, connection_id: str, hub: Hub) -> None:
        self.connection_id = connection_id
        self.hub = hub

    async def send(self, text: str) -> None:
        await self.hub.send(self.connection_id, text)

    async def close(self, code: int, reason: str) -> None:
        logger.info("closing %s (graphql-ws %d: %s)", self.connection_id, code, reason)
        try:
            await self.hub.sender.hang_up(self.connection_id)
        except Exception:  # the session is dropped already; the TTL ends the rest
            logger.exception("could not close %s", self.connection_id)


def _route_key(event: Any) -> str:
    context = event.get("requestContext") if isinstance(event, dict) else None
    if not isinstance(context, dict):
        raise BadEvent("expected an API Gateway WebSocket event (no requestContext object)")
    route_key = context.get("routeKey")
    return route_key if isinstance(route_key, str) else repr(route_key)


def _connection_id(event: dict[str, Any]) -> str:
    connection_id = event["requestContext"].get("connectionId")
    if not isinstance(connection_id, str) or not _CONNECTION_ID.fullmatch(connection_id):
        raise BadEvent("requestContext.connectionId is missing or not a connection id")
    return connection_id


def _connect_request(event: dict[str, Any], connection_id: str) -> tuple[ConnectRequest, float]:
    """What `$connect` offers: the query parameters, the source address, the time."""
    context = event["requestContext"]
    params = event.get("queryStringParameters") or {}
    if not isinstance(params, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in params.items()
    ):
        raise BadEvent("queryStringParameters must map names to text")
    identity = context.get("identity") or {}
    if not isinstance(identity, dict):
        raise BadEvent("requestContext.identity must be an object")
    source_ip = identity.get("sourceIp")
    params, token, protocols = offered(params, _protocol_headers(event))
    connected_ms = context.get("connectedAt")
    if type(connected_ms) is int and 0 <= connected_ms < _MAX_EPOCH_MS:
        connected_at = connected_ms / 1000
    else:
        connected_at = time.time()
    ip = source_ip[:100] if isinstance(source_ip, str) else ""
    request = ConnectRequest(connection_id, params, source_ip=ip, token=token, protocols=protocols)
    return request, connected_at


def _protocol_headers(event: dict[str, Any]) -> list[str]:
    """Every `Sec-WebSocket-Protocol` value (header names are the client's case)."""
    values: list[str] = []
    for field in ("multiValueHeaders", "headers"):
        headers = event.get(field) or {}
        if not isinstance(headers, dict):
            raise BadEvent(f"{field} must be an object")
        for name, value in headers.items():
            if isinstance(name, str) and name.lower() == "sec-websocket-protocol":
                found = value if isinstance(value, list) else [value]
                values.extend(v for v in found if isinstance(v, str))
        if values:
            return values  # multiValueHeaders repeats headers: read one of the two
    return values


def _body(event: dict[str, Any]) -> str | bytes | None:
    """The message as API Gateway passed it: text, or bytes for a binary frame."""
    body = event.get("body")
    if body is not None and not isinstance(body, str):
        raise BadEvent(f"body must be text, not {type(body).__name__}")
    if body is None or event.get("isBase64Encoded") is not True:
        return body
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return body.encode()


def _shown(text: str) -> str:
    return repr(text) if len(text) <= 100 else repr(text[:100]) + "..."


def _answer(status: int, error: str, detail: str) -> Response:
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"error": error, "detail": detail}),
    }
