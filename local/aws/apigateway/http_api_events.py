"""The HTTP API's payload format 2.0, both ways: a request becomes the event API Gateway
sends a Lambda proxy integration, and the function's answer becomes the HTTP response.

Sources: AWS's "Create AWS Lambda proxy integrations for HTTP APIs" (event and response
format, the 2.0 inference rules); which request content types arrive as text and which
base64 was checked against real AWS in ministackorg/ministack#766; `multiValueHeaders` in a
2.0 answer is ignored by API Gateway (aws/serverless-java-container#377, answer from the
API Gateway team); `rawPath` decodes every escape except `%25` (ministack's
`decode_http_api_path`).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote

from local.aws.apigateway.ids import request_time, trace_id

# Media types whose bodies API Gateway passes as text; every other body (a missing
# Content-Type and form posts included) arrives base64-encoded.
TEXT_MEDIA_TYPES = frozenset({"application/json", "application/xml", "application/javascript"})
# Connection-level or recomputed by the gateway: never copied from a function's answer.
_DROPPED_ANSWER_HEADERS = frozenset({"content-length", "transfer-encoding", "connection"})
_ESCAPED_PERCENT = re.compile("%25", re.IGNORECASE)


@dataclass(frozen=True)
class HttpRequest:
    """What the gateway read from the client."""

    method: str
    raw_path: str  # percent-encoded, as sent
    query_string: str
    headers: list[tuple[str, str]]  # lower-case names, in order, repeats kept
    body: bytes
    source_ip: str
    protocol: str  # "HTTP/1.1"
    scheme: str
    port: int


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[str, str]]  # each cookie of the answer is one set-cookie here
    body: bytes


class MalformedAnswer(ValueError):
    """The function's answer is not a valid 2.0 response (API Gateway answers 500)."""


def is_text(content_type: str | None) -> bool:
    if not content_type:
        return False
    media = content_type.partition(";")[0].strip().lower()
    return media.startswith("text/") or media in TEXT_MEDIA_TYPES


def decoded_path(raw_path: str) -> str:
    """`rawPath` as API Gateway builds it: escapes decoded, except `%25`."""
    return "%25".join(unquote(part) for part in _ESCAPED_PERCENT.split(raw_path))


def _joined(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Repeated names comma-joined, as format 2.0 does for headers and query strings."""
    joined: dict[str, str] = {}
    for name, value in pairs:
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    return joined


def http_api_event(
    request: HttpRequest, *, api_id: str, account_id: str, request_id: str, epoch_ms: int
) -> dict[str, Any]:
    """The payload format 2.0 event of `$default` route and stage for `request`."""
    cookies = [
        cookie.strip()
        for name, value in request.headers
        if name == "cookie"
        for cookie in value.split(";")
        if cookie.strip()
    ]
    headers = _joined(
        [(k, v) for k, v in request.headers if k not in ("cookie", "transfer-encoding")]
    )
    forwarded = headers.get("x-forwarded-for")
    headers["x-forwarded-for"] = (
        f"{forwarded}, {request.source_ip}" if forwarded else request.source_ip
    )
    headers["x-forwarded-port"] = str(request.port)
    headers["x-forwarded-proto"] = request.scheme
    headers.setdefault("x-amzn-trace-id", trace_id(epoch_ms))
    headers["content-length"] = str(len(request.body))
    domain = headers.get("host", "localhost").partition(":")[0]
    path = decoded_path(request.raw_path)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": request.query_string,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    query = parse_qsl(request.query_string, keep_blank_values=True)
    if query:
        event["queryStringParameters"] = _joined(query)
    event["requestContext"] = {
        "accountId": account_id,
        "apiId": api_id,
        "domainName": domain,
        "domainPrefix": domain.partition(".")[0],
        "http": {
            "method": request.method,
            "path": path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": request_id,
        "routeKey": "$default",
        "stage": "$default",
        "time": request_time(epoch_ms),
        "timeEpoch": epoch_ms,
    }
    event.update(_body(request.body, headers.get("content-type")))
    return event


def _body(body: bytes, content_type: str | None) -> dict[str, Any]:
    if not body:
        return {"isBase64Encoded": False}
    if is_text(content_type):
        try:
            return {"body": body.decode(), "isBase64Encoded": False}
        except UnicodeDecodeError:
            pass  # not text after all: base64 keeps every byte
    return {"body": base64.b64encode(body).decode(), "isBase64Encoded": True}


def function_answer(payload: Any) -> Answer:
    """The HTTP response for the function's (JSON-decoded) answer; MalformedAnswer when
    API Gateway would refuse it."""
    if isinstance(payload, dict) and "statusCode" in payload:
        return _proxy_answer(payload)
    # 2.0 inference: any other valid JSON is the body of a 200 application/json answer
    # (a JSON string is the body as is).
    body = payload if isinstance(payload, str) else json.dumps(payload)
    return Answer(200, [("content-type", "application/json")], body.encode())


def _proxy_answer(payload: dict[str, Any]) -> Answer:
    status = payload["statusCode"]
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise MalformedAnswer(f"statusCode {status!r}")
    headers = [
        (_header_text(name), _header_text(value))
        for name, value in (_mapping(payload, "headers") or {}).items()
        if str(name).lower() not in _DROPPED_ANSWER_HEADERS
    ]
    cookies = payload.get("cookies") or []
    if not isinstance(cookies, list):
        raise MalformedAnswer("cookies is not a list")
    headers += [("set-cookie", _header_text(cookie)) for cookie in cookies]
    body = payload.get("body")
    if body is None:
        return Answer(status, headers, b"")
    if not isinstance(body, str):
        raise MalformedAnswer(f"body is {type(body).__name__}, not a string")
    if not payload.get("isBase64Encoded"):
        return Answer(status, headers, body.encode())
    try:
        return Answer(status, headers, base64.b64decode(body, validate=True))
    except (binascii.Error, ValueError):
        raise MalformedAnswer("isBase64Encoded but the body is not base64") from None


def _mapping(payload: dict[str, Any], key: str) -> dict[Any, Any] | None:
    value = payload.get(key)
    if value is not None and not isinstance(value, dict):
        raise MalformedAnswer(f"{key} is not an object")
    return value


def _header_text(value: Any) -> str:
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str | int | float):
        text = str(value)
    else:
        raise MalformedAnswer(f"header value {value!r}")
    if "\r" in text or "\n" in text:
        raise MalformedAnswer("a header contains a line break")
    return text
