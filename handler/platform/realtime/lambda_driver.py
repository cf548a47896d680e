"""The Lambda driver: API Gateway WebSocket events -> the same `Dispatcher` the local route uses.

`$connect` validates and records the connection (a non-2xx answer refuses the handshake),
`$default` runs the message handler, `$disconnect` forgets the connection; any other
route key is logged and answered 400. Nothing here builds the HTTP app (cold start).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from handler.platform.realtime.endpoint import UNAVAILABLE, Dispatcher, WebSocketEndpoint
from handler.platform.realtime.hub import Hub
from handler.platform.realtime.types import ConnectRequest, MessageRefused, Refused, RegistryError
from handler.platform.runtime.event_loop import environment_loop
from handler.platform.runtime.logs import bind_lambda_context

logger = logging.getLogger(__name__)

Response = dict[str, Any]


class LambdaWebSocketAdapter:
    """`handler(event, context)` for API Gateway WebSocket routes.

    The hub is built on the first event (`hub_factory`), then reused while the execution
    environment stays warm; events run on the environment's loop (`environment_loop`).
    """

    def __init__(self, endpoint: WebSocketEndpoint, hub_factory: Callable[[], Hub]) -> None:
        self.endpoint = endpoint
        self._hub_factory = hub_factory
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
            self._dispatcher = Dispatcher(self.endpoint, self._hub_factory())
        return self._dispatcher

    def __call__(self, event: Any, context: Any) -> Response:
        bind_lambda_context(context)
        context_ = event.get("requestContext") if isinstance(event, dict) else None
        if not isinstance(context_, dict):
            logger.error("not an API Gateway WebSocket event (no requestContext)")
            return _answer(400, "bad_event", "expected an API Gateway WebSocket event")
        route_key = context_.get("routeKey")
        connection_id = context_.get("connectionId")
        route = self._routes.get(route_key) if isinstance(route_key, str) else None
        if route is None:
            logger.error("unknown WebSocket route key %r", route_key)
            return _answer(400, "unknown_route", f"no handler for route key {route_key!r}")
        if not isinstance(connection_id, str) or not connection_id:
            logger.error("%s event without a connectionId", route_key)
            return _answer(400, "bad_event", "requestContext.connectionId is missing")
        try:
            return self.loop.run_until_complete(route(event, connection_id))
        except RegistryError as exc:
            # DynamoDB throttled or unreachable: the client's to retry, not a bug of ours.
            logger.warning("%s for %s: %s", route_key, connection_id, exc)
            return _answer(503, UNAVAILABLE, "the connection store is unavailable; try again")
        except Exception:
            logger.exception("%s for %s failed", route_key, connection_id)
            return _answer(500, "internal_error", "Internal server error")

    async def _connect(self, event: dict[str, Any], connection_id: str) -> Response:
        context = event["requestContext"]
        params = event.get("queryStringParameters") or {}
        source_ip = (context.get("identity") or {}).get("sourceIp", "")
        connected_ms = context.get("connectedAt")
        connected_at = connected_ms / 1000 if isinstance(connected_ms, int) else time.time()
        request = ConnectRequest(connection_id, params, source_ip=source_ip)
        try:
            connection = await self.dispatcher.accept(
                request, connected_at=connected_at, expires=True
            )
        except Refused as exc:
            logger.info("connection %s from %s refused: %s", connection_id, source_ip, exc.reason)
            return _answer(exc.status_code, "refused", exc.reason)
        await self.dispatcher.join(connection)
        return {"statusCode": 200}

    async def _message(self, event: dict[str, Any], connection_id: str) -> Response:
        try:
            await self.dispatcher.receive(connection_id, _body(event))
        except MessageRefused as exc:
            return _answer(exc.status_code, exc.code, exc.detail)
        return {"statusCode": 200}

    async def _disconnect(self, event: dict[str, Any], connection_id: str) -> Response:
        await self.dispatcher.disconnect(connection_id)
        return {"statusCode": 200}


def _body(event: dict[str, Any]) -> str | bytes | None:
    """The message as API Gateway passed it: text, or bytes for a binary frame."""
    body = event.get("body")
    if body is None or not event.get("isBase64Encoded"):
        return body if isinstance(body, str | None) else str(body)
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return body.encode() if isinstance(body, str) else b""


def _answer(status: int, error: str, detail: str) -> Response:
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"error": error, "detail": detail}),
    }
