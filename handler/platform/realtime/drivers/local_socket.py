"""Local sockets: the sender that writes to Starlette WebSockets, and the drivers that turn
one real socket into the same events API Gateway delivers: `serve_socket` for a
`Dispatcher` (the chat), `serve_graphql_socket` for the graphql-transport-ws protocol."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING

from starlette.responses import JSONResponse
from starlette.websockets import WebSocket, WebSocketDisconnect

from handler.platform.graphql_ws.protocol import GraphQLWsProtocol, Link
from handler.platform.realtime.handshake import offered
from handler.platform.realtime.ports import Sender
from handler.platform.realtime.types import (
    Connection,
    ConnectionGone,
    ConnectRequest,
    MessageRefused,
    Refused,
)
from handler.platform.runtime.logs import handshake_denied

if TYPE_CHECKING:
    from handler.platform.realtime.endpoint import Dispatcher

logger = logging.getLogger(__name__)

# 1013 "Try Again Later": the server drops a client that cannot keep up.
_TOO_SLOW = 1013


class _Socket:
    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        self.loop = asyncio.get_running_loop()
        # One write at a time per socket keeps each client's messages whole and in order.
        self.lock = asyncio.Lock()


class LocalSocketSender(Sender):
    """Writes to sockets attached by `serve_socket`.

    Each send waits at most `timeout` seconds: a client that does not read (its buffers
    full) or has vanished is closed and reported gone, so it never stalls a broadcast.
    Callable from any thread or loop: a send is run on the loop that owns the socket.
    """

    def __init__(self, *, timeout: float = 5.0) -> None:
        self.timeout = timeout
        self._sockets: dict[str, _Socket] = {}
        self._closing: set[asyncio.Task[None]] = set()

    def attach(self, connection_id: str, websocket: WebSocket) -> _Socket:
        socket = self._sockets[connection_id] = _Socket(websocket)
        return socket

    def detach(self, connection_id: str) -> None:
        self._sockets.pop(connection_id, None)

    async def send(self, connection_id: str, text: str) -> None:
        socket = self._sockets.get(connection_id)
        if socket is None:
            raise ConnectionGone(connection_id)
        if socket.loop is asyncio.get_running_loop():
            await self._send(connection_id, socket, text)
        else:
            call = self._send(connection_id, socket, text)
            await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(call, socket.loop))

    async def _send(self, connection_id: str, socket: _Socket, text: str) -> None:
        try:
            async with asyncio.timeout(self.timeout), socket.lock:
                await socket.websocket.send_text(text)
        except TimeoutError:
            # A cancelled write may have left half a frame: this socket cannot be reused.
            logger.warning("client %s too slow (>%ss); closing it", connection_id, self.timeout)
            self._close_later(connection_id, socket)
            raise ConnectionGone(connection_id) from None
        except (WebSocketDisconnect, RuntimeError, OSError):
            self.detach(connection_id)
            raise ConnectionGone(connection_id) from None

    def _close_later(self, connection_id: str, socket: _Socket) -> None:
        self.detach(connection_id)
        task = asyncio.create_task(_close_quietly(socket.websocket))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)


async def _close_quietly(websocket: WebSocket) -> None:
    try:
        async with asyncio.timeout(1):
            await websocket.close(code=_TOO_SLOW, reason="too slow")
    except (TimeoutError, WebSocketDisconnect, RuntimeError, OSError):
        pass  # the peer is already gone, or will be when the server drops the transport


async def serve_socket(
    websocket: WebSocket, dispatcher: Dispatcher, params: Mapping[str, str]
) -> None:
    """Drive `dispatcher` over one real socket until it closes (the local `/ws` route)."""
    sender = dispatcher.hub.sender
    if not isinstance(sender, LocalSocketSender):
        raise TypeError("local sockets need a hub with a LocalSocketSender")
    connection_id = uuid.uuid4().hex
    client = websocket.client.host if websocket.client else ""
    rest, token, protocols = offered(params, websocket.scope.get("subprotocols") or ())
    request = ConnectRequest(
        connection_id, rest, source_ip=client, token=token, protocols=protocols
    )
    try:
        connection = await dispatcher.accept(request, connected_at=time.time())
    except Refused as exc:
        await _deny(websocket, exc)
        return
    socket = sender.attach(connection_id, websocket)
    try:
        # Joined and accepted under the socket's lock: a broadcast that sees this
        # connection waits for the handshake instead of losing its message.
        async with socket.lock:
            await dispatcher.join(connection)
            await websocket.accept(subprotocol=dispatcher.subprotocol(request))
        await _receive_loop(websocket, dispatcher, connection)
    finally:
        sender.detach(connection_id)
        await dispatcher.disconnect(connection_id)


async def _receive_loop(
    websocket: WebSocket, dispatcher: Dispatcher, connection: Connection
) -> None:
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            body = text if text is not None else message.get("bytes")
            with contextlib.suppress(MessageRefused):  # the sender got the error; go on
                await dispatcher.receive(connection.connection_id, body, held=connection)


async def _deny(websocket: WebSocket, exc: Refused) -> None:
    """Answer the handshake with the refusal's status, as API Gateway does for $connect."""
    handshake_denied.set(True)  # a deliberate answer, not an unfinished handshake
    try:
        await websocket.send_denial_response(
            JSONResponse({"error": exc.reason}, status_code=exc.status_code)
        )
    except RuntimeError:  # a server without the denial-response extension: close (HTTP 403)
        await websocket.close(code=1008, reason=exc.reason)


class _SocketLink(Link):
    """The protocol's hold on one local socket: sends through the sender (its lock and
    timeout), closes with the protocol's code."""

    def __init__(self, connection_id: str, websocket: WebSocket, sender: LocalSocketSender):
        self.connection_id = connection_id
        self.websocket = websocket
        self.sender = sender
        self.closed = False

    async def send(self, text: str) -> None:
        try:
            await self.sender.send(self.connection_id, text)
        except ConnectionGone:
            self.closed = True

    async def close(self, code: int, reason: str) -> None:
        self.closed = True
        self.sender.detach(self.connection_id)
        with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
            await self.websocket.close(code=code, reason=reason)


async def serve_graphql_socket(
    websocket: WebSocket, protocol: GraphQLWsProtocol, sender: LocalSocketSender
) -> None:
    """Drive the graphql-transport-ws `protocol` over one real socket (local `/graphql`).
    A handshake that does not offer the subprotocol is refused 400."""
    _, _, protocols = offered({}, websocket.scope.get("subprotocols") or ())
    if protocol.subprotocol not in protocols:
        await _deny(websocket, Refused(400, f"offer the {protocol.subprotocol} subprotocol"))
        return
    connection_id = uuid.uuid4().hex
    await protocol.opened(connection_id, connected_at=time.time(), ttl=None)
    socket = sender.attach(connection_id, websocket)
    link = _SocketLink(connection_id, websocket, sender)
    timer: asyncio.Task[None] | None = None
    try:
        async with socket.lock:
            await websocket.accept(subprotocol=protocol.subprotocol)
        timer = asyncio.create_task(_init_timer(protocol, link))
        with contextlib.suppress(WebSocketDisconnect):
            while not link.closed:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    return
                text = message.get("text")
                await protocol.received(link, text if text is not None else message.get("bytes"))
    finally:
        if timer is not None:
            timer.cancel()
        sender.detach(connection_id)
        await protocol.closed(connection_id)


async def _init_timer(protocol: GraphQLWsProtocol, link: _SocketLink) -> None:
    await asyncio.sleep(protocol.init_timeout)
    if not link.closed:
        await protocol.init_expired(link)
