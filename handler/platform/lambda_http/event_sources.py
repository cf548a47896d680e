"""The HTTP events Lambda delivers, as Mangum's event handlers read them, with two fixes.

- Mangum's handlers rebuild `scope` on every property access (twice per HTTP API
  invocation); these cache it per event.
- An ALB appends the peer it saw to `X-Forwarded-For`; Mangum takes the whole header as
  the client address, which the client can spoof. Only the last entry is kept here.

`apply_stage_prefix` exposes an API Gateway stage as the ASGI `root_path`.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from mangum.handlers import ALB, APIGateway, HTTPGateway, LambdaAtEdge


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


TrustedALB = type("ALB", (ALB,), {"scope": cached_property(_alb_scope)})
EVENT_SOURCES = [
    TrustedALB,
    *(_scope_once(source) for source in (HTTPGateway, APIGateway, LambdaAtEdge)),
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
