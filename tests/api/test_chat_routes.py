"""The chat's local surface: the page at `/chat` (which connects wherever the app says),
and the socket's query form `/ws?token=...`, served by a real uvicorn."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from websockets.asyncio.client import connect

from handler.app import create_app
from handler.settings import Settings
from tests.support.auth import socket_url
from tests.support.servers import LiveServer, handshake_refusal


def test_chat_page_is_served_and_hidden_from_the_schema(live_server: LiveServer) -> None:
    page = httpx.get(f"{live_server.url}/chat")
    schema = httpx.get(f"{live_server.url}/openapi.json").json()

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "new WebSocket(" in page.text
    assert "/chat" not in schema["paths"]


def test_the_page_connects_where_the_app_says(settings: Settings) -> None:
    url = "wss://abc123.execute-api.eu-west-1.amazonaws.com/prod"
    configured = settings.model_copy(update={"chat_websocket_url": url})
    with TestClient(create_app(configured)) as client:
        page = client.get("/chat").text
    assert f'data-websocket-url="{url}"' in page
    assert "bearer.${token}" in page, "the token travels as a subprotocol, not in the URL"
    assert 'data-token-url=""' in page, "outside development the page asks for a token"

    with TestClient(create_app(settings)) as client:
        local = client.get("/chat").text
    assert 'data-websocket-url=""' in local, "unset: the page uses this server's /ws"

    development = settings.model_copy(update={"environment": "development"})
    with TestClient(create_app(development)) as client:
        page = client.get("/chat").text
    assert 'data-token-url="/dev/token"' in page, "development: the page gets its own token"


def test_a_hostile_chat_url_is_refused_by_the_settings() -> None:
    with pytest.raises(ValidationError):
        Settings(chat_websocket_url='wss://x/"><script>alert(1)</script>')


def test_both_socket_paths_join_the_same_chat(live_server: LiveServer) -> None:
    async def scenario() -> list[str]:
        base = f"ws://127.0.0.1:{live_server.port}/ws"
        one_url, two_url = socket_url(base, subject="1"), socket_url(f"{base}/2", subject="2")
        async with connect(one_url) as one, connect(two_url) as two:
            await one.send("hello")
            return [str(await asyncio.wait_for(ws.recv(), 10)) for ws in (one, two)]

    assert asyncio.run(scenario()) == ["Client 1: hello"] * 2


@pytest.mark.parametrize("path", ["/ws", "/ws?client_id=1", "/ws/1"])
def test_a_socket_without_a_token_is_refused_with_401(live_server: LiveServer, path: str) -> None:
    assert handshake_refusal(f"ws://127.0.0.1:{live_server.port}{path}") == 401
