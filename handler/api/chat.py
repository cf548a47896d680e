"""The seed chat, written once against the realtime API: a text from client N reaches
every connected client as `Client N: <text>`. Local sockets (`handler.api.chat_routes`)
and API Gateway (`handler.lambda_ws`) both drive these handlers."""

from __future__ import annotations

import re

from handler.platform.realtime import (
    Connection,
    ConnectRequest,
    Hub,
    Refused,
    WebSocketEndpoint,
)

# The seed's `client_id: int`, bounded so an id never becomes a huge string in every message.
CLIENT_ID = re.compile(r"[0-9]{1,18}")


class ChatEndpoint(WebSocketEndpoint):
    async def on_connect(self, request: ConnectRequest) -> str:
        raw = request.params.get("client_id")
        if not raw:
            raise Refused(400, "client_id is required (?client_id=N)")
        if not CLIENT_ID.fullmatch(raw):
            raise Refused(403, "client_id must be a number of at most 18 digits")
        return str(int(raw))

    async def on_message(self, hub: Hub, connection: Connection, text: str) -> None:
        await hub.broadcast(f"Client {connection.client_id}: {text}")


endpoint = ChatEndpoint()
