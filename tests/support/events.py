"""What a Lambda handler is called with: the recorded events of `tests/events/`, rewritten
to carry a request, and the context (`local.aws.lambda_.context.LambdaContext`, the one the
local worker passes too)."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from local.aws.lambda_.context import LambdaContext

__all__ = ["EVENTS", "SOURCES", "LambdaContext", "http_event", "load_event"]

EVENTS = Path(__file__).resolve().parents[1] / "events"


@cache
def _read(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return data


def load_event(name: str, **overrides: Any) -> dict[str, Any]:
    """A fresh copy of `tests/events/<name>.json` with top-level keys replaced."""
    event = copy.deepcopy(_read(f"{name}.json"))
    event.update(overrides)
    return event


SOURCES = ("apigw_rest_v1", "http_api_v2", "alb", "function_url")


def http_event(
    source: str,
    *,
    method: str = "GET",
    path: str = "/",
    query: list[tuple[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    body: bytes | str | None = None,
    base64_body: bool = False,
) -> dict[str, Any]:
    """A recorded event of `source` rewritten to carry this request."""
    import base64
    from urllib.parse import urlencode

    event = load_event(source)
    query = query or []
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    if isinstance(body, bytes) or base64_body:
        raw = body.encode() if isinstance(body, str) else (body or b"")
        body, event["isBase64Encoded"] = base64.b64encode(raw).decode(), True
    event["body"] = body
    multi: dict[str, list[str]] = {}
    for key, value in query:
        multi.setdefault(key, []).append(value)
    if source in ("http_api_v2", "function_url"):
        event["rawPath"] = path
        event["rawQueryString"] = urlencode(query)
        event["requestContext"]["http"].update(method=method, path=path)
        event["headers"].update(headers)
        return event
    event["httpMethod"] = method
    event["path"] = path
    event["multiValueQueryStringParameters"] = multi or None
    if source == "alb":
        event["multiValueQueryStringParameters"] = multi
        event["multiValueHeaders"].update({k: [v] for k, v in headers.items()})
        return event
    event["queryStringParameters"] = {k: v[-1] for k, v in multi.items()} or None
    event["pathParameters"] = {"proxy": path.lstrip("/")}
    event["requestContext"].update(
        httpMethod=method, path=f"/{event['requestContext']['stage']}{path}"
    )
    event["headers"].update(headers)
    event["multiValueHeaders"].update({k: [v] for k, v in headers.items()})
    return event
