"""One error shape for every error an app on the platform answers, in process, on uvicorn
and through the Lambda adapter: `{"error": ..., "path": ...}` plus `detail` where there
is one. The app is this file's own: a route per kind of error."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from handler.platform.auth.callers import AdminUser, CurrentUser, OptionalUser
from handler.platform.http.errors import AppError
from handler.platform.http.middleware import UnhandledErrorMiddleware
from handler.platform.http.rate_limit import rate_limit
from tests.support.platform_app import bearer, platform_app, test_settings
from tests.support.servers import LiveServer
from tests.support.transports import TRANSPORTS, Http, transport


class Teapot(AppError):
    status_code = 418


class Note(BaseModel):
    text: str = Field(min_length=1)


def erring_app(**settings: Any) -> FastAPI:
    app = platform_app(test_settings(**settings))

    @app.get("/plain")
    async def plain(caller: OptionalUser) -> dict[str, str]:
        return {"caller": caller.subject if caller else ""}

    @app.post("/notes", status_code=202)
    async def notes(note: Note, caller: CurrentUser) -> dict[str, str]:
        return {"text": note.text}

    @app.post("/admin")
    async def admin(caller: AdminUser) -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/teapot")
    async def teapot() -> None:
        raise Teapot("short and stout")

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("this message must never reach the client")

    @app.get("/limited", dependencies=[rate_limit("2/minute")])
    async def limited() -> dict[str, str]:
        return {"ok": "yes"}

    app.add_middleware(UnhandledErrorMiddleware)
    return app


AS = {
    "admin": bearer("root", admin=True),
    "user": bearer("alice"),
    "nobody": {},
    "forged": {"Authorization": "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJyb290In0."},
}
JSON = {"content-type": "application/json"}
# (method, path, body, sent as) -> (status, error, has detail)
CASES: list[tuple[str, str, Any, str, int, str, bool]] = [
    ("GET", "/nope", None, "nobody", 404, "Not Found", False),
    ("POST", "/plain", None, "nobody", 405, "Method Not Allowed", False),
    ("POST", "/notes", {"text": ""}, "user", 422, "Validation error", True),
    ("POST", "/notes", {"text": "hi"}, "nobody", 401, "Unauthorized", True),
    ("GET", "/plain", None, "forged", 401, "Unauthorized", True),
    ("POST", "/admin", None, "user", 403, "Forbidden", True),
    ("GET", "/teapot", None, "nobody", 418, "short and stout", False),
    ("GET", "/boom", None, "nobody", 500, "Internal server error", False),
]
IDS = [f"{c[4]}-{c[1]}-{c[3]}" for c in CASES]


def check(
    status: int, body: dict[str, Any], headers: dict[str, str], case: tuple[Any, ...]
) -> None:
    _, path, _, _, code, error, has_detail = case
    assert status == code
    assert body["error"] == error
    assert body["path"].endswith(path)
    assert ("detail" in body) == has_detail
    assert set(body) <= {"error", "path", "detail"}
    if code == 422:
        assert {"type", "loc", "msg"} <= set(body["detail"][0])
    if code == 401:
        assert {k.lower(): v for k, v in headers.items()}["www-authenticate"].startswith("Bearer")


@pytest.fixture(params=TRANSPORTS)
def http(request: pytest.FixtureRequest) -> Iterator[Http]:
    with transport(request.param, erring_app()) as call:
        yield call


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_errors_have_one_shape(http: Http, case: tuple[Any, ...]) -> None:
    method, path, body, who, *_ = case
    answer = http(method, path, json=body, headers=AS[who])
    check(answer.status, answer.json(), answer.headers, case)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_errors_have_one_shape_on_uvicorn(case: tuple[Any, ...]) -> None:
    method, path, body, who, *_ = case
    with LiveServer(erring_app()) as server:
        response = httpx.request(method, server.url + path, json=body, headers=AS[who])
    check(response.status_code, response.json(), dict(response.headers), case)


def test_rate_limited_and_unavailable_limiter_answer_the_same_shape() -> None:
    # An unreachable Redis and a limiter that fails closed: 503, with Retry-After.
    down = erring_app(
        redis_url="redis://127.0.0.1:9/0", redis_timeout=0.2, rate_limit_fail_open=False
    )
    with TestClient(down) as client:
        unavailable = client.get("/limited")
    assert unavailable.status_code == 503
    assert unavailable.json()["error"] == "Rate limiter unavailable"
    assert unavailable.json()["path"].endswith("/limited")
    assert int(unavailable.headers["retry-after"]) >= 1

    with TestClient(erring_app()) as client:
        answers = [client.get("/limited") for _ in range(3)]
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
    body: bytes, content_type: str | None
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    with TestClient(erring_app()) as client:
        response = client.post("/notes", content=body, headers={**headers, **AS["user"]})
    assert response.status_code in (400, 422)
    assert response.json()["path"].endswith("/notes")
    assert len(response.content) < 2_000, "the error echoes a bounded excerpt, never the body"


def test_the_schema_shows_the_validation_error_shape() -> None:
    schema = erring_app().openapi()
    shape = schema["components"]["schemas"]["HTTPValidationError"]
    assert shape["required"] == ["error", "path", "detail"]
    assert shape["properties"]["detail"]["items"] == {
        "$ref": "#/components/schemas/ValidationError"
    }
    operation = schema["paths"]["/notes"]["post"]
    assert operation["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/HTTPValidationError"
    }
