"""The chat's local surface: the socket at `/ws/{client_id}` (and `/ws?client_id=N`, the
way API Gateway's URL takes it) and a page at `/chat` that works wherever it is served."""

from __future__ import annotations

import html
from pathlib import Path

from fastapi import APIRouter, Query, WebSocket
from fastapi.responses import HTMLResponse

from handler.api.chat import endpoint
from handler.platform.http.deps import HubDep, SettingsDep
from handler.platform.realtime import Dispatcher
from handler.platform.realtime.socket_driver import serve_socket

router = APIRouter(tags=["chat"])
_PAGE = Path(__file__).with_name("chat.html").read_text(encoding="utf-8")


@router.websocket("/ws/{client_id}")
async def chat_socket(websocket: WebSocket, client_id: str, hub: HubDep) -> None:
    # The path parameter plays the part of API Gateway's `?client_id=N`: the endpoint
    # validates it the same way and may refuse the handshake.
    await serve_socket(websocket, Dispatcher(endpoint, hub), {"client_id": client_id})


@router.websocket("/ws")
async def chat_socket_by_query(
    websocket: WebSocket, hub: HubDep, client_id: str = Query(default="")
) -> None:
    # The query form of the same socket: the page speaks it locally and on API Gateway.
    await serve_socket(websocket, Dispatcher(endpoint, hub), {"client_id": client_id})


@router.get("/chat", response_class=HTMLResponse, include_in_schema=False)
async def chat_page(settings: SettingsDep) -> HTMLResponse:
    url = html.escape(settings.chat_websocket_url, quote=True)
    return HTMLResponse(_PAGE.replace("{{WEBSOCKET_URL}}", url, 1))
