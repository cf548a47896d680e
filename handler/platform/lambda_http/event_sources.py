"""The HTTP events Lambda delivers, as Mangum's event handlers read them, with three fixes.

- Mangum's handlers rebuild `scope` on every property access (twice per HTTP API
  invocation); these cache it per event.
- An ALB appends the peer it saw to `X-Forwarded-For`; Mangum takes the whole header as
  the client address, which the client can spoof. Only the last entry is kept here.
- An HTTP API payload 2.0 scope (`http_api_scope`, also what `http_api` reads every such
  event with) is built in one pass instead of Mangum's two (a dict, then the pairs), its
  header names, when all are ones seen before, taken from a bounded cache.

`apply_stage_prefix` exposes an API Gateway stage as the ASGI `root_path`.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, TypeVar
from urllib.parse import unquote

from mangum.handlers import ALB, APIGateway, HTTPGateway, LambdaAtEdge
from mangum.handlers.utils import get_server_and_port

K = TypeVar("K")
V = TypeVar("V")


def _scope_once(source: type) -> type:
    """Mangum's event handlers rebuild `scope` on every access (twice per invocation
    for HTTP API events); cache it per event instead."""
    return type(source.__name__, (source,), {"scope": cached_property(source.scope.fget)})  # type: ignore[attr-defined]


def _alb_scope(self: Any) -> dict[str, Any]:
    """An ALB appends the peer it saw to X-Forwarded-For; earlier entries are whatever the
    client sent. Mangum takes the whole header as the client, so keep only the last entry."""
    scope: dict[str, Any] = ALB.scope.fget(self)  # type: ignore[attr-defined]
    host, port = scope["client"]
    scope["client"] = ((host or "").rsplit(",", 1)[-1].strip(), port)
    return scope


def _http_api_scope(self: Any) -> dict[str, Any]:
    """Payload 2.0 in one pass (`http_api_scope`); 1.0 as Mangum reads it."""
    if self.event["version"] != "2.0" or self.config["api_gateway_base_path"] != "/":
        scope: dict[str, Any] = HTTPGateway.scope.fget(self)  # type: ignore[attr-defined]
        return scope
    return http_api_scope(self.event, self.context)


def http_api_scope(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Mangum's scope of an HTTP API payload 2.0 event (no `api_gateway_base_path`: the
    stage is ours, `apply_stage_prefix`), built in one pass, its header pairs as tuples, as
    servers give them. Raises what Mangum's would on a malformed event."""
    http = event["requestContext"]["http"]
    headers, pairs = _http_api_headers(event)
    path = http["path"]
    return {
        "type": "http",
        "method": http["method"],
        "http_version": "1.1",
        "headers": pairs,
        # Mangum's strip_api_gateway_path with the base path "/": unquote (which also
        # refuses what is not text), unless the text has nothing to unquote (most paths).
        "path": (path if type(path) is str and "%" not in path else unquote(path)) if path else "/",
        "raw_path": None,
        "root_path": "",
        "scheme": headers.get("x-forwarded-proto", "https"),
        "query_string": event.get("rawQueryString", "").encode(),
        "server": get_server_and_port(headers),
        "client": (http["sourceIp"], 0),
        "asgi": {"version": "3.0", "spec_version": "2.0"},
        "aws.event": event,
        "aws.context": context,
    }


# Header names seen in lower case (API Gateway sends them so), encoded: the same few
# arrive on every request.
_LOWER_NAMES: dict[str, bytes] = {}
NAMES_KEPT = 256


def remember(names: dict[K, V], name: K, value: V) -> None:
    """Keep `name` in a cache of header names, bounded as a client (or an app) may send
    any names: a full cache starts again, so a flood of odd names costs speed only while
    it lasts."""
    if len(names) >= NAMES_KEPT:
        names.clear()
    names[name] = value


def _http_api_headers(event: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[bytes, bytes]]]:
    """Mangum's headers of a payload 2.0 event (names in lower case, `cookies` as one
    `cookie` header; the dict to look headers up in) and the scope's pairs."""
    headers = event.get("headers", {})
    cookies = event.get("cookies")
    try:
        # Every name is one seen before, so in lower case: Mangum's dict is the event's.
        pairs = [(_LOWER_NAMES[k], v.encode()) for k, v in headers.items()]
    except KeyError:
        pass
    else:
        if not cookies:
            return headers, pairs
        if "cookie" not in headers:  # (API Gateway moves them all to `cookies`)
            pairs.append((b"cookie", "; ".join(cookies).encode()))
            return headers, pairs
    lowered = {k.lower(): v for k, v in headers.items()}
    if cookies:
        lowered["cookie"] = "; ".join(cookies)
    pairs = [(k.encode(), v.encode()) for k, v in lowered.items()]
    for name in headers:
        if name.lower() == name:
            remember(_LOWER_NAMES, name, name.encode())
    return lowered, pairs


TrustedALB = type("ALB", (ALB,), {"scope": cached_property(_alb_scope)})
HttpApi = type("HTTPGateway", (HTTPGateway,), {"scope": cached_property(_http_api_scope)})
EVENT_SOURCES = [
    TrustedALB,
    HttpApi,
    *(_scope_once(source) for source in (APIGateway, LambdaAtEdge)),
]


def apply_stage_prefix(scope: dict[str, Any], event: dict[str, Any]) -> None:
    """Expose an API Gateway stage (or custom-domain base path) as the ASGI `root_path`,
    so generated URLs (`/prod/docs` -> `/prod/openapi.json`) keep the prefix."""
    context = event.get("requestContext") or {}
    prefix = ""
    if "httpMethod" in event and isinstance(context.get("path"), str):
        # REST v1: `path` is the resource path, requestContext.path the one the client used.
        full, path = context["path"], event.get("path") or "/"
        if full != path and full.endswith(path):
            prefix = full[: len(full) - len(path)].rstrip("/")
    elif event.get("version") == "2.0":
        stage = context.get("stage") or "$default"
        candidate = f"/{stage}"
        if stage != "$default" and (
            scope["path"] == candidate or scope["path"].startswith(candidate + "/")
        ):
            prefix = candidate
    if prefix:
        scope["root_path"] = prefix
        if not scope["path"].startswith(prefix + "/") and scope["path"] != prefix:
            scope["path"] = prefix + scope["path"]
