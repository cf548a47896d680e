"""The chat's local surface: the socket at `/ws/{client_id}` and a page at `/chat`."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, WebSocket
from fastapi.responses import HTMLResponse

from handler.api.chat import endpoint
from handler.platform.http.deps import HubDep
from handler.platform.realtime import Dispatcher
from handler.platform.realtime.socket_driver import serve_socket

router = APIRouter(tags=["chat"])
_PAGE = Path(__file__).with_name("chat.html").read_text(encoding="utf-8")


@router.websocket("/ws/{client_id}")
async def chat_socket(websocket: WebSocket, client_id: str, hub: HubDep) -> None:
    # The path parameter plays the part of API Gateway's `?client_id=N`: the endpoint
    # validates it the same way and may refuse the handshake.
    await serve_socket(websocket, Dispatcher(endpoint, hub), {"client_id": client_id})


@router.get("/chat", response_class=HTMLResponse, include_in_schema=False)
async def chat_page() -> HTMLResponse:
    return HTMLResponse(_PAGE)
