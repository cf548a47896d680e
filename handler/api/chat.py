"""The seed chat, written once against the realtime API: a text from client N reaches
every connected client as `Client N: <text>`, N being the subject of the token the client
connected with (a signed-in identity is needed; `client_id` no longer chooses who you
are, and is ignored). Local sockets (`handler.api.chat_routes`) and API Gateway
(`handler.lambda_ws`) both drive these handlers; both answer the subprotocol `chat` when
the client offers it (with its token as `bearer.<token>`)."""

from __future__ import annotations

from handler.platform.realtime import (
    Connection,
    ConnectRequest,
    Hub,
    Refused,
    WebSocketEndpoint,
)


class ChatEndpoint(WebSocketEndpoint):
    subprotocols = ("chat",)

    async def on_connect(self, request: ConnectRequest) -> str:
        if request.identity is None:
            detail = "sign in: connect with ?token=<token> or a bearer.<token> subprotocol"
            raise Refused(401, detail)
        return request.identity.subject

    async def on_message(self, hub: Hub, connection: Connection, text: str) -> None:
        await hub.broadcast(f"Client {connection.client_id}: {text}")


endpoint = ChatEndpoint()
