"""The seed's HTTP features through the local app (TestClient, lifespan entered)."""

from __future__ import annotations

import logging
import re

import pytest
import strawberry
from fastapi import FastAPI
from fastapi.testclient import TestClient

from handler.api.graphql import build_graphql_app
from handler.app import create_app
from handler.settings import Settings
from tests.support.processes import child_env, run_python


def test_versioned_users_keep_their_shapes(client: TestClient) -> None:
    v1, v2 = client.get("/api/v1/users").json(), client.get("/api/v2/users").json()
    assert (v1["version"], v2["version"]) == ("1", "2")
    assert [user["name"] for user in v1["users"]] == ["Patrick", "Sandy"]
    assert v2["users"] == v1["users"]
    assert set(v1) == {"version", "users"}
    assert v2["meta"] == {"count": 2, "next_cursor": None}


@pytest.mark.parametrize("path", ["/api/v1/users", "/nowhere", "/unicorns/yolo", "/boom"])
def test_every_response_carries_timing_and_custom_headers(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert float(response.headers["x-process-time"]) >= 0
    assert response.headers["x-custom"] == "fastapi-serverless"
    assert response.headers["x-request-id"]


def test_custom_error_answers_its_name_path_and_code(client: TestClient) -> None:
    response = client.get("/unicorns/yolo")
    assert response.status_code == 418
    assert response.json() == {"error": "yolo", "path": "http://testserver/unicorns/yolo"}
    assert client.get("/unicorns/sparkle").json() == {"unicorn_name": "sparkle"}


def test_unhandled_error_is_500_json_without_trace_and_logged(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        response = client.get("/boom")
    assert response.status_code == 500
    assert response.json() == {"error": "Internal server error", "path": "http://testserver/boom"}
    assert "Traceback" not in response.text
    assert "must never reach" not in response.text
    logged = [r for r in caplog.records if r.exc_info]
    assert logged, "the error is logged with its traceback"
    assert "must never reach" in str(logged[0].exc_info[1])  # type: ignore[index]


def test_openapi_describes_the_api_and_hides_internal(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert schema["info"]["title"] == "FastAPI Serverless"
    assert schema["info"]["version"] == "1.0.0"
    assert "runs unchanged" in schema["info"]["description"]
    tags = {tag["name"]: tag["description"] for tag in schema["tags"]}
    assert {"v1", "v2"} <= tags.keys()
    assert all(tags.values())
    assert schema["paths"]["/api/v1/users"]["get"]["tags"] == ["v1"]
    assert schema["paths"]["/api/v2/users"]["get"]["tags"] == ["v2"]
    assert "/internal" not in schema["paths"]
    assert client.get("/internal").status_code == 200


def test_docs_and_redoc_pages_load_the_schema(client: TestClient) -> None:
    assert "/openapi.json" in client.get("/docs").text
    assert "/openapi.json" in client.get("/redoc").text


def test_graphql_answers_the_user_query(client: TestClient) -> None:
    query = {"query": "query { user(id: 1) { name age } }"}
    response = client.post("/graphql", json=query)
    assert response.json() == {"data": {"user": {"name": "Patrick", "age": 100}}}
    missing = client.post("/graphql", json={"query": "{ user(id: 99) { name } }"})
    assert missing.json() == {"data": {"user": None}}


def test_graphiql_is_served_in_development_only() -> None:
    html = {"accept": "text/html"}
    with TestClient(create_app(Settings(environment="development"))) as dev:
        assert "graphiql" in dev.get("/graphql", headers=html).text.lower()
    production = Settings(environment="production", auth_issuer="https://issuer.example.com/p")
    with TestClient(create_app(production)) as prod:
        assert prod.get("/graphql", headers=html).status_code == 404


def test_lifespan_state_reaches_every_request(client: TestClient) -> None:
    first = client.get("/health").json()
    second = client.get("/health").json()
    assert first["status"] == "ok"
    assert first["started_at"] == second["started_at"]
    assert second["uptime"] >= first["uptime"]


def test_request_id_is_fresh_per_request_and_not_taken_from_the_client(
    client: TestClient,
) -> None:
    one = client.get("/api/v1/users", headers={"x-request-id": "forged"})
    two = client.get("/api/v1/users")
    assert one.headers["x-request-id"] != "forged"
    assert one.headers["x-request-id"] != two.headers["x-request-id"]


@strawberry.type
class BrokenQuery:
    @strawberry.field
    def secret(self) -> str:
        raise RuntimeError("db password is hunter2")


@pytest.mark.parametrize(("environment", "leaks"), [("production", False), ("development", True)])
def test_graphql_masks_internal_errors_outside_development(environment: str, leaks: bool) -> None:
    app = FastAPI()
    graphiql = environment == "development"
    app.mount("/graphql", build_graphql_app(graphiql=graphiql, query=BrokenQuery))
    with TestClient(app) as http:
        answer = http.post("/graphql", json={"query": "{ secret }"}).json()
    message = answer["errors"][0]["message"]
    assert ("hunter2" in message) is leaks
    if not leaks:
        assert message == "Unexpected error."


def test_graphql_client_mistakes_stay_readable(client: TestClient) -> None:
    bad_id = client.post("/graphql", json={"query": "{ user(id: 0) { name } }"}).json()
    assert bad_id["errors"][0]["message"] == "id must be a positive integer"
    bad_field = client.post("/graphql", json={"query": "{ user(id: 1) { password } }"}).json()
    assert "password" in bad_field["errors"][0]["message"]


@pytest.mark.parametrize(("access_log", "lines"), [("auto", 1), ("line", 1), ("off", 0)])
def test_access_log_setting_chooses_the_access_line(
    capsys: pytest.CaptureFixture[str], access_log: str, lines: int
) -> None:
    settings = Settings(environment="test", access_log=access_log)
    with TestClient(create_app(settings)) as client:
        capsys.readouterr()
        client.get("/api/v1/users")
    out = capsys.readouterr().out
    assert len(re.findall(r"^\d\d:\d\d:\d\d GET /api/v1/users 200 ", out, re.MULTILINE)) == lines


@pytest.mark.parametrize("path", ["/api/v2/announcements", "/graphql"])
def test_http_max_body_bytes_bounds_every_route(path: str) -> None:
    with TestClient(create_app(Settings(environment="test", http_max_body_bytes=2048))) as client:
        response = client.post(path, content=b"x" * 4096)
    assert response.status_code == 413
    assert response.json()["error"] == "Request Entity Too Large"


def test_graphql_limits_come_from_the_settings() -> None:
    settings = Settings(environment="test", graphql_max_depth=2, graphql_max_aliases=0)
    with TestClient(create_app(settings)) as client:
        deep = client.post("/graphql", json={"query": "{ user(id: 1) { name { a { b } } } }"})
        aliased = client.post("/graphql", json={"query": "{ a: user(id: 1) { name } }"})
    assert "exceeds maximum operation depth of 2" in deep.json()["errors"][0]["message"]
    assert "1 aliases found. Allowed: 0" in aliased.json()["errors"][0]["message"]


def test_importing_the_http_entry_imports_no_cache_or_limit_library() -> None:
    """The demo's cold start: the platform builds its backends on first use (the platform's
    own test: tests/platform/redis/test_first_use.py)."""
    code = (
        "import sys, handler.lambda_http\n"
        "loaded = [m for m in ('limits', 'redis') if m in sys.modules]\n"
        "assert loaded == [], loaded\n"
    )
    # A Redis that is never asked: building the app and entering its lifespan need none.
    env = child_env(REDIS_URL="redis://127.0.0.1:1/0", AWS_LAMBDA_FUNCTION_NAME="http")
    done = run_python("-c", code, env=env)
    assert done.returncode == 0, done.stderr
