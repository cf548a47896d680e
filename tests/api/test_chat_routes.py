"""The chat's local surface: the page at `/chat`, served by a real uvicorn."""

from __future__ import annotations

import httpx

from tests.support.servers import LiveServer


def test_chat_page_is_served_and_hidden_from_the_schema(live_server: LiveServer) -> None:
    page = httpx.get(f"{live_server.url}/chat")
    schema = httpx.get(f"{live_server.url}/openapi.json").json()

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "new WebSocket(" in page.text
    assert "/chat" not in schema["paths"]
