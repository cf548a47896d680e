"""The stack's API Gateway WebSocket API on a laptop: real sockets at `/{stage}` become
`$connect` / `$default` / `$disconnect` invocations of one function, and the @connections
management API (`management_api.py`) is served on the same server.

What it does as API Gateway does (quotas page and the recorded events in tests/events/):
- connection ids are API Gateway-style (16 characters ending in `=`);
- `$connect` runs before the handshake is answered: a 2xx `statusCode` (or an answer
  without one) accepts, with the subprotocol its `Sec-WebSocket-Protocol` header names,
  any other status refuses the handshake with that status, and a failed invocation
  refuses it with 502; the socket is reachable through @connections
  only once accepted;
- a `$default` answer is dropped, whatever its status: API Gateway returns it only through
  a route response ("Set up route responses for WebSocket APIs"), and the stack configures
  none. A failed `$default` sends the client `{"message": "Internal server error",
  "connectionId":..., "requestId":...}` and the socket stays open (a recorded wscat
  session against a deployed API shows both, and the 502);
- a message over 128 KB closes the socket with 1009 and is not invoked;
- no message either way for `idle_timeout` (10 min), or a connection older than
  `max_connection_seconds` (2 h), closes it with 1001 "Going away";
- `$disconnect` follows every close, carrying the close code and reason.

Chosen here: invocations of one connection run one after another, in arrival order, each
under the 29 s integration timeout; different connections run concurrently. Not emulated:
the 32 KB frame limit (ASGI hands over whole messages), authorizers, route selection.

No library: none emulates API Gateway's WebSocket API in Python (serverless-offline is
Node, SAM CLI has none). Plain ASGI: the refusal needs ASGI's denial-response extension.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

from botocore.credentials import Credentials
from starlette.types import Receive, Scope, Send

from handler.platform.runtime.logs import handshake_denied
from local.aws import topology
from local.aws.apigateway.asgi import (
    client_ip,
    first_header,
    header_items,
    send_json,
    serve_lifespan,
    server_port,
)
from local.aws.apigateway.ids import new_gateway_id, now_ms
from local.aws.apigateway.integration import IntegrationCalls
from local.aws.apigateway.management_api import ManagementApi
from local.aws.apigateway.websocket_connection import Connection, Gone, SlowClient
from local.aws.apigateway.websocket_events import (
    ConnectionInfo,
    connect_event,
    connect_status,
    connect_subprotocol,
    disconnect_event,
    error_frame,
    message_event,
)
from local.aws.lambda_.invoke import Invocation, Invoker

logger = logging.getLogger(__name__)

GOING_AWAY = (1001, "Going away")
TOO_BIG = (1009, "Message too big")
# Reasons API Gateway reports when the client closed without giving one.
_REASONS = {1000: "Connection Closed Normally", 1001: "Going away"}
# Messages waiting for their invocation: past this, the socket stops being read
# (backpressure to the client) instead of memory growing.
PENDING_MESSAGES = 100


class WebSocketApi:
    """An ASGI app: the WebSocket API at `/{stage}` and @connections under it."""

    def __init__(
        self,
        function: Invoker,
        *,
        stage: str,
        api_id: str,
        credentials: Credentials,
        region: str,
        idle_timeout: float,
        max_connection_seconds: float,
        max_message_bytes: int,
        integration_timeout: float,
        send_timeout: float,
    ) -> None:
        self.function = function
        self.stage = stage
        self.api_id = api_id
        self.idle_timeout = idle_timeout
        self.max_connection_seconds = max_connection_seconds
        self.max_message_bytes = max_message_bytes
        self.send_timeout = send_timeout
        self.calls = IntegrationCalls(function, integration_timeout)
        self.connections: dict[str, Connection] = {}
        self.management = ManagementApi(
            self.connections,
            credentials=credentials,
            region=region,
            max_message_bytes=max_message_bytes,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await serve_lifespan(receive, send, self.calls.close)
            return
        path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        prefix = f"/{self.stage}/@connections/"
        if scope["type"] == "websocket" and path.rstrip("/") == f"/{self.stage}":
            await self._socket(scope, receive, send)
        elif scope["type"] == "websocket":
            await receive()
            await _refuse(scope, send, HTTPStatus.NOT_FOUND)
        elif scope["type"] == "http" and path.startswith(prefix) and "/" not in path[len(prefix) :]:
            await self.management(scope, receive, send, unquote(path[len(prefix) :]))
        elif scope["type"] == "http":
            await send_json(send, 404, {"message": "Not Found"})

    async def _socket(self, scope: Scope, receive: Receive, send: Send) -> None:
        await receive()  # websocket.connect: the handshake API Gateway holds open
        headers = header_items(scope)
        info = ConnectionInfo(
            connection_id=new_gateway_id(),
            connected_at_ms=now_ms(),
            source_ip=client_ip(scope),
            user_agent=first_header(headers, "user-agent") or "",
            host=first_header(headers, "host") or f"127.0.0.1:{server_port(scope)}",
            api_id=self.api_id,
            stage=self.stage,
        )
        event = connect_event(
            info,
            headers,
            scope["query_string"].decode("latin-1"),
            port=server_port(scope),
            scheme="https" if scope.get("scheme") == "wss" else "http",
            epoch_ms=now_ms(),
        )
        answer = await self._invoke("$connect", event)
        status = connect_status(answer)
        if not 200 <= status < 300:
            await _refuse(scope, send, status)
            return
        try:
            await send({"type": "websocket.accept", "subprotocol": connect_subprotocol(answer)})
        except OSError:  # the client left while `$connect` ran: it connected, then dropped
            await self._invoke("$disconnect", disconnect_event(info, 1006, "", epoch_ms=now_ms()))
            return
        connection = Connection(info, send, send_timeout=self.send_timeout)
        self.connections[info.connection_id] = connection
        try:
            await self._session(connection, receive)
        finally:
            self.connections.pop(info.connection_id, None)

    async def _session(self, connection: Connection, receive: Receive) -> None:
        """Read until the socket closes, invoking in order; then `$disconnect`."""
        pending: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(PENDING_MESSAGES)
        invoker = asyncio.create_task(self._invoke_in_order(connection, pending))
        watchdog = asyncio.create_task(self._watch(connection))
        try:
            code, reason = await self._read(connection, receive, pending)
            watchdog.cancel()
            code, reason = connection.closing or (code, reason or _REASONS.get(code, ""))
            event = disconnect_event(connection.info, code, reason, epoch_ms=now_ms())
            await pending.put(event)
            await pending.put(None)
            # Bounded: each invocation is (the integration timeout), and so is the queue.
            await invoker
        finally:
            watchdog.cancel()
            invoker.cancel()  # only when cancelled itself (server shutdown)

    async def _read(
        self,
        connection: Connection,
        receive: Receive,
        pending: asyncio.Queue[dict[str, Any] | None],
    ) -> tuple[int, str]:
        """Queue a `$default` per message; (code, reason) of the close. The wait for the
        next message is bounded by the watchdog, which closes an idle socket."""
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return int(message.get("code") or 1005), str(message.get("reason") or "")
            if connection.closing is not None:
                continue  # sent after the gateway closed the socket: never invoked
            text, data = message.get("text"), message.get("bytes")
            payload: str | bytes = text if text is not None else data or b""
            size = len(payload.encode()) if isinstance(payload, str) else len(payload)
            if size > self.max_message_bytes:
                await connection.close(*TOO_BIG)
                continue
            connection.touch()
            await pending.put(message_event(connection.info, payload, epoch_ms=now_ms()))

    async def _watch(self, connection: Connection) -> None:
        """Close the socket once idle for `idle_timeout` or older than the maximum age."""
        while connection.closing is None:
            deadline = min(
                connection.last_active + self.idle_timeout,
                connection.opened + self.max_connection_seconds,
            )
            remaining = deadline - time.monotonic()  # the connection's clock
            if remaining <= 0:
                await connection.close(*GOING_AWAY)
                return
            await asyncio.sleep(remaining)

    async def _invoke_in_order(
        self, connection: Connection, pending: asyncio.Queue[dict[str, Any] | None]
    ) -> None:
        while (event := await pending.get()) is not None:
            context = event["requestContext"]
            invocation = await self._invoke(context["routeKey"], event)
            # An answer is dropped (no route response); a failure is told to the client.
            failed = invocation is None or invocation.failure is not None
            if failed and context["routeKey"] == "$default" and connection.closing is None:
                with contextlib.suppress(Gone, SlowClient):
                    await connection.deliver(error_frame(context).encode())

    async def _invoke(self, route_key: str, event: dict[str, Any]) -> Invocation | None:
        try:
            invocation = await self.calls.invoke(event)
        except Exception:
            logger.exception("%s %s: the invoker failed", self.function.name, route_key)
            return None
        if invocation is None:
            logger.warning("%s %s: integration timeout", self.function.name, route_key)
        elif invocation.failure is not None:
            failure = invocation.failure.value
            logger.warning(
                "%s %s: %s (%s)", self.function.name, route_key, failure, invocation.detail
            )
        return invocation


async def _refuse(scope: Scope, send: Send, status: int) -> None:
    """Answer the handshake with `status` instead of 101 (the denial-response extension;
    a server without it can only refuse with 403)."""
    if "websocket.http.response" not in scope.get("extensions", {}):
        await send({"type": "websocket.close", "code": 1008})
        return
    # A deliberate answer: the project's log filter drops uvicorn's "returned without
    # completing handshake" error for it (handler.platform.runtime.logs).
    handshake_denied.set(True)
    body = f'{{"message":"{HTTPStatus(status).phrase}"}}'.encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "websocket.http.response.start", "status": status, "headers": headers})
    await send({"type": "websocket.http.response.body", "body": body})


def websocket_api_app(
    function: Invoker,
    *,
    stage: str = topology.WEBSOCKET_STAGE,
    api_id: str = "localwsapi",
    region: str = topology.REGION,
    credentials: Credentials | None = None,
    idle_timeout: float = topology.WEBSOCKET_IDLE_SECONDS,
    max_connection_seconds: float = topology.WEBSOCKET_MAX_CONNECTION_SECONDS,
    max_message_bytes: int = topology.WEBSOCKET_MAX_MESSAGE_BYTES,
    integration_timeout: float = 29.0,
    send_timeout: float = 5.0,
) -> WebSocketApi:
    """The WebSocket API in front of `function`, an ASGI app for uvicorn. @connections
    accepts requests signed with `credentials` (default: access key and secret `testing`)
    for `region`."""
    return WebSocketApi(
        function,
        stage=stage,
        api_id=api_id,
        credentials=credentials or Credentials("testing", "testing"),
        region=region,
        idle_timeout=idle_timeout,
        max_connection_seconds=max_connection_seconds,
        max_message_bytes=max_message_bytes,
        integration_timeout=integration_timeout,
        send_timeout=send_timeout,
    )
