"""The WebSocket endpoint the realtime platform's tests drive, as small as a user's first
one: a signed-in client is named by its token's subject, and a text from it reaches
every client as `Client <name>: <text>`. It answers the subprotocol `chat` when offered.
(The demo's own chat, `handler.api.chat`, is tested in tests/api/.)"""

from __future__ import annotations

from handler.platform.realtime import (
    Connection,
    ConnectRequest,
    Hub,
    Refused,
    WebSocketEndpoint,
)


class BroadcastEndpoint(WebSocketEndpoint):
    subprotocols = ("chat",)

    async def on_connect(self, request: ConnectRequest) -> str:
        if request.identity is None:
            raise Refused(401, "sign in: connect with a token")
        return request.identity.subject

    async def on_message(self, hub: Hub, connection: Connection, text: str) -> None:
        await hub.broadcast(f"Client {connection.client_id}: {text}")


endpoint = BroadcastEndpoint()
