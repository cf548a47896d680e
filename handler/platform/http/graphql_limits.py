"""What one GraphQL request may cost: limits on the body, the tokens, the depth and the
aliases of a query, so a costly one is refused in milliseconds instead of holding the
event loop (one ~1 MB query of aliased fields ran 10-17 s without them).

- `BoundedGraphQL` wraps the GraphQL app (pure ASGI) and reads at most `max_body_bytes`
  of a body before strawberry parses anything: a larger one answers 413, a body that is
  not UTF-8 answers 400 (strawberry's `json.loads` would guess UTF-16 and raise: a 500),
  and strawberry's own plain-text refusals (bad JSON, unsupported content type, ...)
  are rewritten in the app's one error shape.
- `GraphQLLimits` (`handler.platform.graphql_ws.cost_limits`, re-exported here) holds
  the token, depth, alias and expanded-fields limits; subscriptions are checked with the
  same ones.

Imported only when the first GraphQL request builds the GraphQL app (strawberry is heavy).
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from handler.platform.graphql_ws.cost_limits import (
    ExpandedFieldsLimiter,
    FragmentCycle,
    GraphQLLimits,
    expanded_fields,
)
from handler.platform.http.limits import send_error

__all__ = [
    "BoundedGraphQL",
    "ExpandedFieldsLimiter",
    "FragmentCycle",
    "GraphQLLimits",
    "expanded_fields",
]


class BoundedGraphQL:
    """The GraphQL app behind a body bound, a UTF-8 check and the common error shape."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = await self._body(scope, receive)
        if isinstance(body, tuple):
            status, detail = body
            await send_error(scope, send, status, detail)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, _common_shape(scope, send))

    async def _body(self, scope: Scope, receive: Receive) -> bytes | tuple[int, str]:
        """The whole body, or the (status, detail) refusing it; never more than the
        limit is read."""
        too_large = (413, f"a GraphQL request body is at most {self.max_body_bytes} bytes")
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            return too_large
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return too_large
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as exc:
            return 400, f"the body is not UTF-8 text (byte {exc.start})"
        return body


def _common_shape(scope: Scope, send: Send) -> Send:
    """strawberry answers its HTTP-level refusals in plain text: rewrite them as
    `{"error": ..., "path": ..., "detail": text}`."""
    held: Message | None = None

    async def send_shaped(message: Message) -> None:
        nonlocal held
        if message["type"] == "http.response.start":
            content_type = Headers(raw=message.get("headers", [])).get("content-type", "")
            if message["status"] >= 400 and content_type.startswith("text/plain"):
                held = message
                return
        elif held is not None and message["type"] == "http.response.body":
            text = message.get("body", b"").decode("utf-8", "replace")[:200]
            start, held = held, None
            await send_error(scope, send, start["status"], text)
            return
        await send(message)

    return send_shaped
