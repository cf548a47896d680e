"""What one GraphQL request may cost: limits on the body, the tokens, the depth and the
aliases of a query, so a costly one is refused in milliseconds instead of holding the
event loop (one ~1 MB query of aliased fields ran 10-17 s without them).

- `BoundedGraphQL` wraps the GraphQL app (pure ASGI) and reads at most `max_body_bytes`
  of a body before strawberry parses anything: a larger one answers 413, a body that is
  not UTF-8 answers 400 (strawberry's `json.loads` would guess UTF-16 and raise: a 500),
  and strawberry's own plain-text refusals (bad JSON, unsupported content type, ...)
  are rewritten in the app's one error shape.
- `GraphQLLimits.extensions()` are strawberry's own validation extensions:
  `MaxTokensLimiter` stops graphql-core's parser after `max_tokens` tokens (which also
  bounds the quadratic overlapping-fields validation), `QueryDepthLimiter` and
  `MaxAliasesLimiter` refuse a parsed query before it runs. Their refusals are GraphQL
  errors (`{"data": null, "errors": [{"message": ...}]}`), as clients expect.
- One gap in them is closed here: both walk every fragment spread anew, so a 750-byte
  query whose fragments each spread the next one twice took them 3 s (18 levels; 40 would
  take days). `ExpandedFieldsLimiter` counts the fields a query selects once its
  fragments are expanded, each fragment counted once (linear), and refuses the query
  before any validation rule runs when that passes `max_tokens`: no query can select
  more fields than it could spell out within the token limit.

Imported only when the first GraphQL request builds the GraphQL app (strawberry is heavy).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from graphql import GraphQLError
from graphql.language import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
)
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

from handler.platform.http.limits import send_error

if TYPE_CHECKING:
    from collections.abc import Iterator

    from graphql.language import SelectionSetNode


@dataclass(frozen=True)
class GraphQLLimits:
    max_body_bytes: int
    max_tokens: int
    max_depth: int
    max_aliases: int

    def extensions(self) -> list[Callable[[], SchemaExtension]]:
        """Factories: strawberry builds each extension anew per request."""
        return [
            partial(MaxTokensLimiter, max_token_count=self.max_tokens),
            partial(ExpandedFieldsLimiter, max_fields=self.max_tokens),
            partial(QueryDepthLimiter, max_depth=self.max_depth),
            partial(MaxAliasesLimiter, max_alias_count=self.max_aliases),
        ]


class ExpandedFieldsLimiter(SchemaExtension):
    """Refuses a query that selects more than `max_fields` fields once its fragments are
    expanded, before validation (see the module docstring for why)."""

    def __init__(self, max_fields: int) -> None:
        self.max_fields = max_fields

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.pre_execution_errors is None:
            try:
                count = expanded_fields(document, self.max_fields)
            except FragmentCycle as cycle:
                count, problem = self.max_fields + 1, str(cycle)
            else:
                problem = (
                    f"the query selects over {self.max_fields} fields once its fragments"
                    " are expanded"
                )
            if count > self.max_fields:
                # Set before validation runs: strawberry then skips validation.
                context.pre_execution_errors = [GraphQLError(problem)]
        yield


class FragmentCycle(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(f"Cannot spread fragment '{name}' within itself.")


def expanded_fields(document: DocumentNode, limit: int) -> int:
    """How many fields the document's operations select with fragments expanded; stops
    counting past `limit`; raises `FragmentCycle`. Each fragment is counted once."""
    fragments = {
        node.name.value: node
        for node in document.definitions
        if isinstance(node, FragmentDefinitionNode)
    }
    counted: dict[str, int] = {}

    def count(selections: SelectionSetNode | None, spreading: frozenset[str]) -> int:
        total = 0
        for node in selections.selections if selections else ():
            if isinstance(node, FieldNode):
                total += 1 + count(node.selection_set, spreading)
            elif isinstance(node, InlineFragmentNode):
                total += count(node.selection_set, spreading)
            elif isinstance(node, FragmentSpreadNode):
                name = node.name.value
                if name in spreading:
                    raise FragmentCycle(name)
                if name not in counted and name in fragments:
                    counted[name] = count(fragments[name].selection_set, spreading | {name})
                total += counted.get(name, 0)
            if total > limit:
                break
        return total

    total = 0
    for node in document.definitions:
        if not isinstance(node, FragmentDefinitionNode):
            total += count(getattr(node, "selection_set", None), frozenset())
    return total


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
