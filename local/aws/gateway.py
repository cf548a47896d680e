"""What the emulated HTTP and WebSocket APIs share: API Gateway's ids and clocks, its JSON
answers, a bounded request-body read, lifespan, and the integration timeout.

Plain ASGI, no framework: each gateway is one route and a few answers, and the
WebSocket side needs ASGI's denial-response extension, which routers do not expose.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from starlette.types import Receive, Scope, Send

from local.aws.invoke import Invocation, Invoker

logger = logging.getLogger(__name__)

# API Gateway writes its request time in English whatever the locale: no strftime("%b").
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class ClientGone(Exception):
    """The client disconnected before the gateway had read its request."""


def new_gateway_id() -> str:
    """An API Gateway-style id (request, connection and message ids): 11 random bytes,
    URL-safe base64, 16 characters ending in `=`, e.g. `L0SM9cOFvHcCIhw=`."""
    return base64.urlsafe_b64encode(os.urandom(11)).decode()


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def request_time(epoch_ms: int) -> str:
    """`28/Nov/2026:05:10:00 +0000`, API Gateway's `time` / `requestTime`."""
    t = time.gmtime(epoch_ms / 1000)
    clock = f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
    return f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:{clock} +0000"


def trace_id(epoch_ms: int) -> str:
    """An X-Ray root id, as API Gateway adds in `x-amzn-trace-id`."""
    return f"Root=1-{epoch_ms // 1000:08x}-{os.urandom(12).hex()}"


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


class IntegrationCalls:
    """Invokes a function under the gateway's integration timeout.

    When the timeout passes first the caller gets None and the invocation keeps running,
    as on AWS (the function runs on until its own timeout; its answer is dropped). Those
    invocations are held here so they are not garbage-collected, and cancelled at shutdown.
    """

    def __init__(self, function: Invoker, timeout: float) -> None:
        self.function = function
        self.timeout = timeout
        self._abandoned: set[asyncio.Task[Invocation]] = set()

    async def invoke(self, event: dict[str, Any]) -> Invocation | None:
        task = asyncio.ensure_future(self.function.invoke(event))
        try:
            done, _ = await asyncio.wait({task}, timeout=self.timeout)
        except asyncio.CancelledError:
            task.cancel()
            raise
        if task in done:
            return task.result()
        self._abandoned.add(task)
        task.add_done_callback(self._forget)
        return None

    def _forget(self, task: asyncio.Task[Invocation]) -> None:
        self._abandoned.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.warning("%s: abandoned invocation raised", self.function.name)

    async def close(self) -> None:
        for task in list(self._abandoned):
            task.cancel()
        if self._abandoned:
            await asyncio.wait(self._abandoned, timeout=5)
