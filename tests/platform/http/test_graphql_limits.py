"""What a GraphQL query may cost: deep, wide-aliased, token-heavy, fragment-bomb and huge
queries are refused within a small time bound, locally and through the Lambda adapter,
and while a client sends them a real uvicorn still answers others at once."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import strawberry
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import Route
from strawberry.asgi import GraphQL

from handler.platform.http.graphql_limits import BoundedGraphQL, GraphQLLimits
from handler.platform.lambda_http.adapter import LambdaHttpAdapter
from tests.support.events import LambdaContext, http_event
from tests.support.platform_app import platform_app, test_settings
from tests.support.servers import LiveServer


@strawberry.type
class User:
    name: str
    age: int


@strawberry.type
class Query:
    @strawberry.field
    def user(self, id: int) -> User | None:
        return User(name="Patrick", age=100) if id == 1 else None


def graphql_app(**fields: Any) -> FastAPI:
    """A small app with one GraphQL schema, bounded as the settings say, and /health."""
    settings = test_settings(**fields)
    limits = GraphQLLimits(
        max_body_bytes=settings.graphql_max_body_bytes,
        max_tokens=settings.graphql_max_tokens,
        max_depth=settings.graphql_max_depth,
        max_aliases=settings.graphql_max_aliases,
    )
    schema = strawberry.Schema(query=Query, extensions=limits.extensions())
    bounded = BoundedGraphQL(GraphQL[Any, None](schema), max_body_bytes=limits.max_body_bytes)
    app = platform_app(settings)
    app.router.routes.append(Route("/graphql", bounded, methods=["GET", "POST"]))

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


@pytest.fixture
def app() -> FastAPI:
    return graphql_app()


# Refusals take 5-50 ms here; the bound leaves room for a loaded 2-core CI machine.
FAST = 2.0


def aliases(count: int) -> str:
    return "{ " + " ".join(f"a{i}: user(id: 1) {{ name }}" for i in range(count)) + " }"


def fragment_bomb(levels: int) -> str:
    """Each fragment spreads the next twice: 2**levels fields from a few hundred bytes."""
    spreads = " ".join(
        f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)
    )
    return f"query {{ ...F0 }} {spreads} fragment F{levels} on Query {{ user(id: 1) {{ name }} }}"


def nested(depth: int) -> str:
    return "{ user(id: 1) " + "{ name " * depth + "}" * (depth + 1)


COSTLY = {
    "deep": (nested(12), "exceeds maximum operation depth of 10"),
    "aliased": (aliases(100), "100 aliases found. Allowed: 30"),
    "token-heavy": ("{ user(id: 1) { " + "name " * 5000 + "} }", "more than 2000 tokens"),
    "fragment-bomb": (fragment_bomb(40), "over 2000 fields once its fragments are expanded"),
    "fragment-cycle": (
        "query { ...A } fragment A on Query { ...A user(id: 1) { name } }",
        "Cannot spread fragment 'A' within itself.",
    ),
}
HUGE = aliases(40_000)  # ~1 MB: the query


def refusal(answer: dict[str, Any]) -> str:
    """Every error message of a refused query, one per line."""
    assert answer["data"] is None
    return "\n".join(error["message"] for error in answer["errors"])


@pytest.mark.parametrize("name", COSTLY)
def test_a_costly_query_is_refused_fast_with_a_graphql_error(client: TestClient, name: str) -> None:
    query, message = COSTLY[name]
    started = time.perf_counter()
    response = client.post("/graphql", json={"query": query})
    assert time.perf_counter() - started < FAST
    assert response.status_code == 200
    assert message in refusal(response.json())


def test_a_huge_query_is_refused_before_it_is_parsed(client: TestClient) -> None:
    started = time.perf_counter()
    response = client.post("/graphql", json={"query": HUGE})
    assert time.perf_counter() - started < FAST
    assert response.status_code == 413
    assert response.json()["detail"] == "a GraphQL request body is at most 65536 bytes"


@pytest.mark.parametrize("name", COSTLY)
def test_a_costly_query_is_refused_fast_on_lambda(
    lambda_handler: LambdaHttpAdapter, name: str
) -> None:
    query, message = COSTLY[name]
    event = http_event(
        "http_api_v2",
        method="POST",
        path="/graphql",
        headers={"content-type": "application/json"},
        body=json.dumps({"query": query}),
    )
    started = time.perf_counter()
    response = lambda_handler(event, LambdaContext())
    assert time.perf_counter() - started < FAST
    assert message in refusal(json.loads(response["body"]))


def test_the_limits_are_settings() -> None:
    app = graphql_app(graphql_max_depth=2, graphql_max_aliases=0)
    with TestClient(app) as client:
        deep = client.post("/graphql", json={"query": nested(4)}).json()
        aliased = client.post("/graphql", json={"query": aliases(1)}).json()
        plain = client.post("/graphql", json={"query": "{ user(id: 1) { name } }"}).json()
    assert "exceeds maximum operation depth of 2" in refusal(deep)
    assert "1 aliases found. Allowed: 0" in refusal(aliased)
    assert plain == {"data": {"user": {"name": "Patrick"}}}


def test_introspection_fits_the_default_limits(client: TestClient) -> None:
    from graphql import get_introspection_query

    query = get_introspection_query(descriptions=True, specified_by_url=True)
    answer = client.post("/graphql", json={"query": query}).json()
    assert "errors" not in answer
    assert answer["data"]["__schema"]["queryType"]["name"] == "Query"


@pytest.mark.parametrize(
    ("content_type", "body", "detail"),
    [
        ("application/json", b"\xff\xfe{", "the body is not UTF-8 text (byte 0)"),
        ("application/json", b'{"query": "\xc3("}', "the body is not UTF-8 text (byte 11)"),
        ("application/json", b"{bad", "Unable to parse request body as JSON"),
        ("text/plain", b"{}", "Unsupported content type"),
        ("application/json", b"[]", "Batching is not enabled"),
    ],
)
def test_unreadable_bodies_answer_400_in_the_error_shape(
    client: TestClient, content_type: str, body: bytes, detail: str
) -> None:
    response = client.post("/graphql", content=body, headers={"content-type": content_type})
    assert response.status_code == 400
    assert response.json() == {
        "error": "Bad Request",
        "path": "http://testserver/graphql",
        "detail": detail,
    }


@pytest.fixture
def server(app: FastAPI) -> Iterator[LiveServer]:
    with LiveServer(app) as live:
        yield live


def test_costly_queries_do_not_starve_other_requests(server: LiveServer) -> None:
    """Two clients send costly queries back to back for two seconds; /health stays fast.

    Unbounded, the 1 MB query alone held the loop 18 s here and the fragment bomb would
    hold it for days; the bound below leaves room for a loaded 2-core CI machine, where
    these client threads share the server's process (and its GIL)."""
    stop = threading.Event()
    refused: list[int] = []
    payloads = [
        json.dumps({"query": query}).encode() for query, _ in (*COSTLY.values(), (HUGE, ""))
    ]
    json_type = {"content-type": "application/json"}

    def attack() -> None:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            while not stop.is_set():
                for payload in payloads:
                    response = http.post("/graphql", content=payload, headers=json_type)
                    refused.append(response.status_code)

    attackers = [threading.Thread(target=attack) for _ in range(2)]
    for thread in attackers:
        thread.start()
    waits: list[float] = []
    try:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            deadline = time.monotonic() + 2
            while time.monotonic() < deadline:
                started = time.perf_counter()
                assert http.get("/health").status_code == 200
                waits.append(time.perf_counter() - started)
                time.sleep(0.02)
    finally:
        stop.set()
        for thread in attackers:
            thread.join(timeout=30)
    assert len(refused) >= len(payloads)  # the attack ran
    assert set(refused) <= {200, 413}
    assert max(waits) < 5.0, f"slowest /health: {max(waits):.3f} s"
