"""The event-level API: an endpoint's handlers, written once, and the dispatcher that both
drivers (the local `/ws` route and the Lambda WebSocket adapter) call with the same events."""

from __future__ import annotations

import dataclasses
import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from handler.platform.auth.identity import Identity
from handler.platform.realtime.hub import Hub
from handler.platform.realtime.types import (
    MAX_CONNECTION_SECONDS,
    Connection,
    ConnectRequest,
    MessageRefused,
    Refused,
    RegistryError,
    check_size,
)

if TYPE_CHECKING:
    from handler.platform.auth.verifier import TokenVerifier

logger = logging.getLogger(__name__)

# The error code when the connection store fails (throttled, unreachable): try again.
UNAVAILABLE = "unavailable"
# Rows outlive the 2 h API Gateway cap by this much, so clock skew never hides a live socket.
TTL_MARGIN_SECONDS = 5 * 60


class WebSocketEndpoint(ABC):
    """Handlers for one WebSocket endpoint. They see a `Hub`, never a socket or an event.

    `subprotocols`: the ones it speaks; the handshake answers the first the client
    offered (`bearer.<token>` is never one: see handler.platform.realtime.handshake)."""

    subprotocols: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    async def on_connect(self, request: ConnectRequest) -> str:
        """Return the client id for this connection, or raise `Refused(status, reason)`.
        `request.identity` is the verified caller, or None when no token was sent."""

    @abstractmethod
    async def on_message(self, hub: Hub, connection: Connection, text: str) -> None:
        """Handle one text message (already checked: non-empty text within the size limit).

        Raising `MessageRefused` (as `Hub.broadcast` does for text too large to send)
        answers the sender with the error, as for a message refused on arrival."""

    async def on_disconnect(self, hub: Hub, connection_id: str) -> None:
        """Called after a connection closed (best effort on AWS); nothing by default."""
        return None


class Dispatcher:
    """Routes connect/message/disconnect events to an endpoint and keeps the registry right.

    `verifier`: builds the token verifier on first use (the composition root's). A token
    sent on connect is checked before the endpoint hears of it: an invalid one is refused
    401, unreadable issuer keys 503; without a verifier every token is refused."""

    def __init__(
        self,
        endpoint: WebSocketEndpoint,
        hub: Hub,
        *,
        verifier: Callable[[], TokenVerifier] | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.hub = hub
        self.verifier = verifier

    async def accept(
        self, request: ConnectRequest, *, connected_at: float, expires: bool = False
    ) -> Connection:
        """Verify the token, then ask the endpoint; raises `Refused`. `expires`: API
        Gateway ends this connection after 2 h, so the row gets a `ttl` (local sockets
        have no such cap)."""
        if request.token is not None:
            request = dataclasses.replace(request, identity=await self._verified(request.token))
        client_id = await self.endpoint.on_connect(request)
        ttl = int(connected_at + MAX_CONNECTION_SECONDS + TTL_MARGIN_SECONDS) if expires else None
        return Connection(request.connection_id, client_id, connected_at, ttl)

    async def _verified(self, token: str) -> Identity:
        from handler.platform.auth.errors import InvalidToken, KeysUnavailable

        if self.verifier is None:
            raise Refused(401, "this endpoint cannot check tokens")
        try:
            return await self.verifier().verify(token)
        except InvalidToken as exc:
            logger.info("connect token refused: %s", exc.reason)
            raise Refused(401, exc.description) from None
        except KeysUnavailable as exc:
            logger.error("connect refused 503: %s", exc)
            raise Refused(503, "the issuer's signing keys could not be read; try again") from None

    def subprotocol(self, request: ConnectRequest) -> str | None:
        """The subprotocol the handshake answers with (None: no header)."""
        from handler.platform.realtime.handshake import chosen

        return chosen(request.protocols, self.endpoint.subprotocols)

    async def join(self, connection: Connection) -> None:
        await self.hub.join(connection)

    async def receive(
        self, connection_id: str, body: str | bytes | None, *, held: Connection | None = None
    ) -> None:
        """Check one incoming message and hand it to the endpoint; a refused message (on
        arrival or by the endpoint) is answered to its sender as `{"error": code,
        "detail": ...}` and re-raised.

        `held`: the connection, from a driver that holds it for the socket's life (local
        sockets). Its message counts even if a broadcast has meanwhile found the socket
        closed and forgotten the row: the text arrived before the close, so it is not lost.
        Without it (API Gateway) the row is looked up. A connection store that fails
        refuses the message as `unavailable` (503)."""
        try:
            text = check_message(body)
            try:
                connection = held or await self.hub.connection(connection_id)
                if connection is None:
                    detail = "this connection is not registered; reconnect"
                    raise MessageRefused("unknown_connection", detail, status_code=410)
                await self.endpoint.on_message(self.hub, connection, text)
            except RegistryError as exc:
                # The store failed before any send (a broadcast reads every target
                # first): nobody has the message, so sending it again duplicates nothing.
                detail = "the connection store is unavailable; nothing was sent, send it again"
                raise MessageRefused(UNAVAILABLE, detail, status_code=503) from exc
        except MessageRefused as exc:
            logger.info("message from %s refused: %s", connection_id, exc.detail)
            error = json.dumps({"error": exc.code, "detail": exc.detail})
            await self.hub.send(connection_id, error)
            raise

    async def disconnect(self, connection_id: str) -> None:
        await self.hub.leave(connection_id)
        await self.endpoint.on_disconnect(self.hub, connection_id)


def check_message(body: str | bytes | None) -> str:
    """The text of an acceptable message, or `MessageRefused` saying what is wrong."""
    check_size(body or b"")
    if isinstance(body, bytes | bytearray):
        raise MessageRefused(
            "binary_not_supported", "binary frames are not accepted; send text", status_code=415
        )
    if not body:
        raise MessageRefused("empty_message", "empty messages are not accepted")
    return body
