"""One HTTP request/response through an ASGI app, buffered for a Lambda response.

Mangum's HTTPCycle does the same with a queue, a state machine and a BytesIO; this one
does only what a buffered Lambda answer needs, and always produces a response (an app
that ends without answering gets a 500 instead of an AttributeError in the adapter).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from starlette.datastructures import URL
from starlette.types import ASGIApp, Message

# The access line, if any, is the app's (handler.platform.http.access_log, ACCESS_LOG).
logger = logging.getLogger(__name__)


async def run_http_cycle(app: ASGIApp, scope: dict[str, Any], body: bytes) -> dict[str, Any]:
    """Run `app` on one request; return Mangum's response dict (status, headers, body)."""
    status: int | None = None
    headers: list[Any] = []
    chunks: list[bytes] = []
    complete = False
    # Made only if the app waits for the disconnect (few do): no Event per invocation.
    disconnect: asyncio.Future[None] | None = None
    request: Message | None = {"type": "http.request", "body": body, "more_body": False}

    async def receive() -> Message:
        nonlocal request, disconnect
        if request is not None:
            message, request = request, None
            return message
        if not complete:  # the client "disconnects" once the answer is whole
            if disconnect is None:
                disconnect = asyncio.get_running_loop().create_future()
            await asyncio.shield(disconnect)
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal status, headers, complete
        if message["type"] == "http.response.start":
            status, headers = message["status"], list(message.get("headers", []))
        elif message["type"] == "http.response.body" and status is not None:
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                complete = True
                if disconnect is not None and not disconnect.done():
                    disconnect.set_result(None)

    try:
        await app(scope, receive, send)
    except Exception:
        logger.exception("%s %s failed", scope["method"], scope["path"])
    if status is None or not complete:
        response = {
            "status": 500,
            "headers": [(b"content-type", b"application/json")],
            # The app's error shape (handler.platform.http.errors); nothing about why.
            "body": json.dumps(
                {"error": "Internal server error", "path": str(URL(scope=scope))}
            ).encode(),
        }
    else:
        response = {"status": status, "headers": headers, "body": b"".join(chunks)}
    return response
