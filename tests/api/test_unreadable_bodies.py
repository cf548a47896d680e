"""A body a JSON route cannot read (not UTF-8, not JSON, huge), with a JSON content type,
another one or none: 400 or 422 in the one error shape (413 past the GraphQL body
limit), locally and through the Lambda adapter, and the answer echoes a bounded excerpt
of it, never the body."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from handler.platform.lambda_http.adapter import LambdaHttpAdapter
from handler.settings import Settings
from tests.support.auth import bearer
from tests.support.events import LambdaContext, http_event

CONTENT_TYPES = ["application/json", "application/json; charset=latin-1", "text/plain", None]
BODIES = {
    "not UTF-8": b"\xff\xfe{\x00",
    "truncated UTF-8": b'{"text": "\xc3',
    "not JSON": b"{text: hi",
    "1 MB of invalid bytes": b"\xff" * 1_000_000,
    "1 MB JSON string": json.dumps("x" * 1_000_000).encode(),
}
ROUTES = ["/api/v2/announcements", "/graphql"]
# As an admin: these are about the body, which a caller allowed to send one sends.
ADMIN = bearer(Settings(environment="test"), "root", admin=True)


def check(status: int, answer: dict[str, Any], raw: bytes, path: str) -> None:
    # 413: a GraphQL body over GRAPHQL_MAX_BODY_BYTES (64 KB), refused before reading on.
    assert status in (400, 422) or (status == 413 and path == "/graphql"), answer
    assert answer["error"] in ("Bad Request", "Validation error", "Request Entity Too Large")
    assert answer["path"].endswith(path)
    assert len(raw) < 4096, "the answer echoes an excerpt, not the body"


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize("content_type", CONTENT_TYPES)
@pytest.mark.parametrize("name", BODIES)
def test_locally(client: TestClient, path: str, content_type: str | None, name: str) -> None:
    headers = {"content-type": content_type} if content_type else {}
    headers.update(ADMIN)
    response = client.post(path, content=BODIES[name], headers=headers)
    check(response.status_code, response.json(), response.content, path)


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize("content_type", CONTENT_TYPES)
@pytest.mark.parametrize("name", BODIES)
def test_through_lambda(
    lambda_handler: LambdaHttpAdapter, path: str, content_type: str | None, name: str
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    headers.update(ADMIN)
    event = http_event("http_api_v2", method="POST", path=path, headers=headers, body=BODIES[name])
    response = lambda_handler(event, LambdaContext())
    raw = response["body"].encode()
    if response.get("isBase64Encoded"):
        raw = base64.b64decode(raw)
    check(response["statusCode"], json.loads(raw), raw, path)
