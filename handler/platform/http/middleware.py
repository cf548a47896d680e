"""Pure ASGI middleware: no task group, no body relay, contextvars intact.

Headers are appended to the raw `(name, value)` list of `http.response.start`, names and
fixed values encoded once: a `MutableHeaders` view per header costs more than the rest
of the middleware.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from typing import Any

from starlette.datastructures import URL
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from handler.platform.runtime.request_id import request_id_var
from handler.platform.runtime.trace_header import (
    clean_trace_header,
    invocation_trace_header,
    trace_header_var,
)

logger = logging.getLogger(__name__)

# API Gateway's request ids are base64 or UUID text. Anything else in an event's
# requestId (which only an invoker other than API Gateway can send) would be written into
# a response header: a newline splits it, a non-latin-1 letter cannot be encoded.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:=+/-]{1,128}")


def append_header(message: Message, name: bytes, value: bytes) -> None:
    """Add one header to an `http.response.start` message (its list may be a tuple)."""
    headers = message.get("headers")
    if isinstance(headers, list):
        headers.append((name, value))
    else:
        message["headers"] = [*(headers or ()), (name, value)]


class ProcessTimeMiddleware:
    """Adds `X-Process-Time`: seconds from the request to the start of the response."""

    def __init__(self, app: ASGIApp, header: str = "X-Process-Time") -> None:
        self.app = app
        self.header = header.lower().encode("latin-1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()

        async def send_with_time(message: Message) -> None:
            if message["type"] == "http.response.start":
                elapsed = time.perf_counter() - start
                append_header(message, self.header, b"%.6f" % elapsed)
            await send(message)

        await self.app(scope, receive, send_with_time)


class CustomHeaderMiddleware:
    """Adds one fixed header to every HTTP response."""

    def __init__(self, app: ASGIApp, name: str = "X-Custom", value: str = "") -> None:
        self.app = app
        self.name = name.lower().encode("latin-1")
        self.value = value.encode("latin-1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                append_header(message, self.name, self.value)
            await send(message)

        await self.app(scope, receive, send_with_header)


class RequestIdMiddleware:
    """Names each request: API Gateway's request id on Lambda, 32 fresh random hex digits
    locally (the OS's random source, as uuid4 without its version bits).

    A client-sent `X-Request-ID` is not trusted as the id (it would let a caller forge
    log correlation); the id is echoed back in the response header instead.

    It also holds the request's X-Ray trace header (`trace_header_var`) for the tasks the
    request queues: the Lambda invocation's, else a well-formed `X-Amzn-Trace-Id`.
    """

    def __init__(self, app: ASGIApp, header: str = "X-Request-ID") -> None:
        self.app = app
        self.header = header.lower().encode("latin-1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        # os.urandom, not uuid4: after a SnapStart restore every environment draws fresh.
        request_id = gateway_request_id(scope) or os.urandom(16).hex()
        token = request_id_var.set(request_id)
        trace_token = trace_header_var.set(invocation_trace_header() or request_trace(scope))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                append_header(message, self.header, request_id.encode("latin-1"))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            trace_header_var.reset(trace_token)
            request_id_var.reset(token)


def request_trace(scope: Scope) -> str | None:
    """The request's own `X-Amzn-Trace-Id`, rebuilt from its checked fields, or None."""
    for name, value in scope.get("headers", ()):
        if name == b"x-amzn-trace-id":
            return clean_trace_header(value.decode("latin-1"))
    return None


def gateway_request_id(scope: Scope) -> str | None:
    """The API Gateway request id of a Lambda event's scope, when it is a sane one."""
    event: Any = scope.get("aws.event")
    context = event.get("requestContext") if isinstance(event, dict) else None
    found = context.get("requestId") if isinstance(context, dict) else None
    return found if isinstance(found, str) and _REQUEST_ID.fullmatch(found) else None


class UnhandledErrorMiddleware:
    """Turns any exception that escaped the app into a 500 JSON answer with no trace:
    `{"error": "Internal server error", "path": url}`, the app's one error shape.

    The traceback is logged once, here, with the request id; the client learns nothing
    about the failure. Once a response has started (a stream) a clean answer is no
    longer possible, so the error is re-raised for the server to abort the connection.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def track_start(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, track_start)
        except Exception:
            logger.exception(
                "unhandled error on %s %s (request %s)",
                scope.get("method"),
                scope.get("path"),
                request_id_var.get(),
            )
            if started:
                raise
            body = internal_error_body(scope)
            headers = [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ]
            await send({"type": "http.response.start", "status": 500, "headers": headers})
            await send({"type": "http.response.body", "body": body})


def internal_error_body(scope: Scope) -> bytes:
    """The 500 answer's body; it says nothing about the failure."""
    body = {"error": "Internal server error", "path": str(URL(scope=scope))}
    return json.dumps(body).encode()
