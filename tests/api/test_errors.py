"""The demo app's errors in the one shape, on uvicorn and through the Lambda adapter:
`{"error": ..., "path": ...}` plus `detail` where there is one, for every kind of route
it has (tasks, announcements, the custom 418, a crash). The shape itself is the
platform's: tests/platform/http/test_errors.py checks it on an app of its own."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from handler.app import create_app
from handler.platform.lambda_http.adapter import LambdaHttpAdapter
from handler.settings import Settings
from tests.support.auth import bearer
from tests.support.events import LambdaContext, http_event
from tests.support.servers import LiveServer

_TEST = Settings(environment="test")
# Tokens of the development issuer, which the test apps trust (one key file for all).
AS = {
    "admin": bearer(_TEST, "root", admin=True),
    "user": bearer(_TEST, "alice"),
    "nobody": {},
    "forged": {"Authorization": "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJyb290In0."},
}
# (method, path, body, content type) -> (status, error, has detail), sent as whom
CASES: list[tuple[str, str, bytes | None, str | None, int, str, bool, str]] = [
    ("GET", "/nope", None, None, 404, "Not Found", False, "nobody"),
    ("POST", "/cached", None, None, 405, "Method Not Allowed", False, "nobody"),
    ("POST", "/send-notification/", None, None, 422, "Validation error", True, "user"),
    ("POST", "/send-notification/", None, None, 401, "Unauthorized", True, "nobody"),
    ("GET", "/api/v1/users", None, None, 401, "Unauthorized", True, "forged"),
    (
        "POST",
        "/api/v2/announcements",
        b'{"text": ""}',
        "application/json",
        422,
        "Validation error",
        True,
        "admin",
    ),
    (
        "POST",
        "/api/v2/announcements",
        b'{"text": "hi"}',
        "application/json",
        403,
        "Forbidden",
        True,
        "user",
    ),
    ("GET", "/unicorns/yolo", None, None, 418, "yolo", False, "nobody"),
    ("GET", "/boom", None, None, 500, "Internal server error", False, "nobody"),
]
IDS = [f"{c[4]}-{c[1]}-{c[7]}" for c in CASES]


def headers_of(case: tuple[Any, ...]) -> dict[str, str]:
    content_type, who = case[3], case[7]
    return {**({"content-type": content_type} if content_type else {}), **AS[who]}


def check(
    status: int,
    body: dict[str, Any],
    expected: tuple[Any, ...],
    path: str,
    headers: Mapping[str, str] | None = None,
) -> None:
    _, _, _, _, code, error, has_detail, _ = expected
    assert status == code
    assert body["error"] == error
    assert body["path"].endswith(path)
    assert ("detail" in body) == has_detail
    assert set(body) <= {"error", "path", "detail"}
    if has_detail and code == 422:
        assert {"type", "loc", "msg"} <= set(body["detail"][0])
    if code == 401 and headers is not None:
        challenge = {k.lower(): v for k, v in headers.items()}["www-authenticate"]
        assert challenge.startswith("Bearer")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_errors_have_one_shape_in_process(client: TestClient, case: tuple[Any, ...]) -> None:
    method, path, body, *_ = case
    response = client.request(method, path, content=body, headers=headers_of(case))
    check(response.status_code, response.json(), case, path, response.headers)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_errors_have_one_shape_on_uvicorn(live_server: LiveServer, case: tuple[Any, ...]) -> None:
    method, path, body, *_ = case
    url = live_server.url + path
    response = httpx.request(method, url, content=body, headers=headers_of(case))
    check(response.status_code, response.json(), case, path, response.headers)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_errors_have_one_shape_through_the_lambda_adapter(
    lambda_handler: LambdaHttpAdapter, lambda_context: LambdaContext, case: tuple[Any, ...]
) -> None:
    method, path, body, *_ = case
    headers = headers_of(case)
    event = http_event("http_api_v2", method=method, path=path, body=body, headers=headers)
    answer = lambda_handler(event, lambda_context)
    text = answer["body"]
    if answer.get("isBase64Encoded"):
        text = base64.b64decode(text).decode()
    check(answer["statusCode"], json.loads(text), case, path, answer.get("headers"))


def test_rate_limited_and_unavailable_limiter_answer_the_same_shape() -> None:
    # An unreachable Redis and a limiter that fails closed: 503, with Retry-After.
    settings = Settings(
        environment="test",
        redis_url="redis://127.0.0.1:9/0",
        redis_timeout=0.2,
        rate_limit_fail_open=False,
    )
    with TestClient(create_app(settings)) as client:
        unavailable = client.get("/limited")
    assert unavailable.status_code == 503
    assert unavailable.json()["error"] == "Rate limiter unavailable"
    assert unavailable.json()["path"].endswith("/limited")
    assert int(unavailable.headers["retry-after"]) >= 1

    with TestClient(create_app(Settings(environment="test"))) as client:
        answers = [client.get("/limited") for _ in range(6)]
    limited = answers[-1]
    assert limited.status_code == 429
    assert limited.json() == {"error": "Too Many Requests", "path": "http://testserver/limited"}
    assert "retry-after" in limited.headers


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"\xff\xfe{not utf-8", "application/json"),
        (b'{"text": "\xff"}', "application/json"),
        (b"\xff\xfe" * 10_000, "text/plain"),
        (b"\xff\xfe", None),
    ],
)
def test_a_body_that_is_not_utf8_is_a_client_error_not_a_crash(
    client: TestClient, body: bytes, content_type: str | None
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = client.post(
        "/api/v2/announcements", content=body, headers={**headers, **AS["admin"]}
    )
    assert response.status_code in (400, 422)
    answer = response.json()
    assert answer["path"].endswith("/api/v2/announcements")
    assert len(response.content) < 2_000, "the error echoes a bounded excerpt, never the body"


def test_the_schema_shows_the_validation_error_shape(app: FastAPI) -> None:
    schema = app.openapi()
    shape = schema["components"]["schemas"]["HTTPValidationError"]
    assert shape["required"] == ["error", "path", "detail"]
    assert shape["properties"]["detail"]["items"] == {
        "$ref": "#/components/schemas/ValidationError"
    }
    operation = schema["paths"]["/send-notification/"]["post"]
    assert operation["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/HTTPValidationError"
    }
