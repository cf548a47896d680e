"""GraphQL subscriptions on this server: graphql-transport-ws at `/graphql`, the path the
queries are POSTed to (handler.app mounts the HTTP GraphQL app beside this route)."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

from handler.demo_state import app_state
from handler.platform.realtime.drivers.local_socket import LocalSocketSender, serve_graphql_socket
from handler.platform.realtime.fanout import current_fanout

router = APIRouter(tags=["graphql"])


@router.websocket("/graphql")
async def graphql_socket(websocket: WebSocket) -> None:
    state = app_state(websocket)
    sender = state.realtime.sender
    if not isinstance(sender, LocalSocketSender):
        raise TypeError("local sockets need a hub with a LocalSocketSender")
    # The first socket starts hearing the other processes' events (a process with no
    # socket has no subscriber to hand them to); it is served once they can be heard.
    await current_fanout().ready()
    await serve_graphql_socket(websocket, state.subscriptions, sender)
