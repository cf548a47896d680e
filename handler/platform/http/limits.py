"""API Gateway's request limits, kept by the app itself where no API Gateway is in front
of it (uvicorn locally), so a request refused on AWS is refused on a laptop too.

The HTTP API's quotas: a 10 MB payload, and 10240 bytes for the request line and the
header values together. Here, pure ASGI:

- a body over `max_body_bytes` answers 413: at once when `Content-Length` says so,
  otherwise as soon as the bytes read pass the limit (`receive` raises `BodyTooLarge`,
  an `HTTPException` FastAPI re-raises and the error handlers answer). Nothing past the
  limit is read;
- a request line and header values over `max_header_bytes` answer 431. Not checked for
  Lambda events: API Gateway has checked what the client sent, and the headers it adds
  itself (`X-Forwarded-*`, `X-Amzn-Trace-Id`) must not tip a request over.

uvicorn's own knobs do not do this: its httptools parser (the `standard` extra) has no
size limit at all, and h11's `h11_max_incomplete_event_size` bounds only a head that has
not yet arrived whole (a 100 KB head sent at once passes). `python -m local` still sets
the h11 one, for a server run with `--http h11`.
"""

from __future__ import annotations

import json

from starlette.datastructures import URL, Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from handler.platform.http.errors import error_body, phrase


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is over {limit} bytes")


class RequestLimitsMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_header_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_header_bytes = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "aws.event" not in scope and head_size(scope) > self.max_header_bytes:
            detail = f"the request line and header values are over {self.max_header_bytes} bytes"
            await send_error(scope, send, 431, detail)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            await send_error(scope, send, 413, BodyTooLarge(self.max_body_bytes).detail)
            return
        size = 0

        async def counted() -> Message:
            nonlocal size
            message = await receive()
            size += len(message.get("body", b""))
            if size > self.max_body_bytes:
                raise BodyTooLarge(self.max_body_bytes)
            return message

        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except BodyTooLarge as exc:
            if started:
                raise
            # Raised past every error handler (a bare ASGI app read the body): answer here.
            await send_error(scope, send, 413, exc.detail)


def head_size(scope: Scope) -> int:
    """Bytes of the request line and the header values, as API Gateway counts them."""
    line = len(scope["method"]) + len(scope.get("raw_path") or scope["path"].encode()) + 11
    query = len(scope.get("query_string", b""))
    return line + (query + 1 if query else 0) + sum(len(value) for _, value in scope["headers"])


async def send_error(scope: Scope, send: Send, status: int, detail: str) -> None:
    """An error answer in the app's one shape, for code outside FastAPI's handlers."""
    name = phrase(status)
    body = error_body(name, str(URL(scope=scope)), None if detail == name else detail)
    raw = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(raw))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": raw})
