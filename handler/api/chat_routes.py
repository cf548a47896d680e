"""The chat's local surface: the socket at `/ws` (and `/ws/{client_id}`, the seed's path;
the id is ignored: a client is named by its token's subject) and a page at `/chat` that
works wherever it is served. In development the page gets a token from the development
issuer (`/dev/token`); elsewhere it asks for one."""

from __future__ import annotations

import html
from pathlib import Path

from fastapi import APIRouter, WebSocket
from fastapi.responses import HTMLResponse

from handler.api.chat import endpoint
from handler.demo_state import SettingsDep
from handler.platform.auth.callers import verifier_of
from handler.platform.http.deps import HubDep
from handler.platform.realtime import Dispatcher
from handler.platform.realtime.drivers.local_socket import serve_socket

router = APIRouter(tags=["chat"])
_PAGE = Path(__file__).with_name("chat.html").read_text(encoding="utf-8")


@router.websocket("/ws/{client_id}")
async def chat_socket(websocket: WebSocket, client_id: str, hub: HubDep) -> None:
    await _serve(websocket, hub)


@router.websocket("/ws")
async def chat_socket_by_query(websocket: WebSocket, hub: HubDep) -> None:
    # The form the page speaks, locally and on API Gateway.
    await _serve(websocket, hub)


async def _serve(websocket: WebSocket, hub: HubDep) -> None:
    dispatcher = Dispatcher(endpoint, hub, verifier=verifier_of(websocket))
    await serve_socket(websocket, dispatcher, dict(websocket.query_params))


@router.get("/chat", response_class=HTMLResponse, include_in_schema=False)
async def chat_page(settings: SettingsDep) -> HTMLResponse:
    url = html.escape(settings.chat_websocket_url, quote=True)
    token_url = "/dev/token" if settings.is_development and not settings.auth_issuer else ""
    page = _PAGE.replace("{{WEBSOCKET_URL}}", url, 1).replace("{{TOKEN_URL}}", token_url, 1)
    return HTMLResponse(page)
