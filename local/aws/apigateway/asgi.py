"""What the emulated HTTP and WebSocket APIs share as ASGI apps: the request's headers and
peers, JSON answers, a bounded request-body read, and lifespan.

Plain ASGI, no framework: each gateway is one route and a few answers, and the
WebSocket side needs ASGI's denial-response extension, which routers do not expose.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from starlette.types import Receive, Scope, Send

logger = logging.getLogger(__name__)


class ClientGone(Exception):
    """The client disconnected before the gateway had read its request."""


def header_items(scope: Scope) -> list[tuple[str, str]]:
    """The request's headers in order, names lower-case (as ASGI servers give them)."""
    return [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope["headers"]]


def first_header(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    return next((value for key, value in headers if key == name), None)


def client_ip(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "127.0.0.1"


def server_port(scope: Scope) -> int:
    server = scope.get("server")
    return int(server[1]) if server and server[1] is not None else 80


async def send_json(
    send: Send, status: int, payload: Any, headers: Iterable[tuple[str, str]] = ()
) -> None:
    """A JSON answer of the gateway's own (compact, as API Gateway writes them)."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    await send_bytes(send, status, body, [("content-type", "application/json"), *headers])


async def send_bytes(
    send: Send, status: int, body: bytes, headers: Iterable[tuple[str, str]] = ()
) -> None:
    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]
    raw.append((b"content-length", str(len(body)).encode()))
    try:
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body})
    except OSError:
        # The client left while the function ran: API Gateway drops the answer too.
        logger.info("client disconnected before its %d answer", status)


async def read_body(receive: Receive, limit: int) -> bytes | None:
    """The request body, or None once it passes `limit` bytes: never more than `limit`
    bytes are held. Callers bound the wait (`asyncio.timeout`): a client that stops
    sending mid-body must not hold the request open."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def serve_lifespan(
    receive: Receive, send: Send, shutdown: Callable[[], Awaitable[None]]
) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await shutdown()
            await send({"type": "lifespan.shutdown.complete"})
            return
