"""API Gateway's request limits kept locally: 413 past the body limit without reading
past it, 431 past the head limit, both in the one error shape; Lambda events are left to
API Gateway's own head check."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from handler.app import create_app
from handler.platform.lambda_http.adapter import LambdaHttpAdapter
from handler.settings import Settings
from tests.support.auth import bearer
from tests.support.events import LambdaContext, http_event
from tests.support.servers import LiveServer

LIMIT = 4096


@pytest.fixture
def server() -> Iterator[LiveServer]:
    app = create_app(Settings(environment="test", http_max_body_bytes=LIMIT))
    with LiveServer(app) as live:
        yield live


def chunks(total: int, size: int = 1000) -> Iterator[bytes]:
    for start in range(0, total, size):
        yield b"x" * min(size, total - start)


def test_a_declared_body_over_the_limit_is_refused_before_it_is_sent(
    server: LiveServer,
) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            b"POST /api/v2/announcements HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100000000\r\n\r\n"
        )
        started = time.perf_counter()
        head = sock.recv(4096)
    assert head.startswith(b"HTTP/1.1 413 ")
    assert time.perf_counter() - started < 5
    answer = json.loads(head.split(b"\r\n\r\n", 1)[1])
    assert answer["error"] == "Request Entity Too Large"
    assert answer["path"].endswith("/api/v2/announcements")


@pytest.mark.parametrize("path", ["/api/v2/announcements", "/graphql"])
def test_a_streamed_body_over_the_limit_answers_413(server: LiveServer, path: str) -> None:
    response = httpx.post(
        server.url + path, content=chunks(LIMIT * 10), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["detail"] == f"the request body is over {LIMIT} bytes"


def test_a_body_at_the_limit_reaches_the_route(server: LiveServer) -> None:
    body = json.dumps({"text": "x" * (LIMIT - 20)}).encode().ljust(LIMIT)
    admin = bearer(Settings(environment="test"), "root", admin=True)
    response = httpx.post(
        server.url + "/api/v2/announcements",
        content=body,
        headers={"content-type": "application/json", **admin},
    )
    assert response.status_code == 202


def test_headers_over_api_gateways_limit_answer_431(server: LiveServer) -> None:
    under = httpx.get(server.url + "/health", headers={"x-big": "a" * 9_900})
    over = httpx.get(server.url + "/health", headers={"x-big": "a" * 10_300})
    line = httpx.get(server.url + "/health?q=" + "a" * 10_300)

    assert under.status_code == 200
    assert over.status_code == 431
    assert over.json()["error"] == "Request Header Fields Too Large"
    assert line.status_code == 431
    assert len(line.json()["path"]) < 1100  # the echoed URL is cut


def test_lambda_events_are_left_to_api_gateways_head_check(app: FastAPI) -> None:
    adapter = LambdaHttpAdapter(app)
    try:
        event = http_event("http_api_v2", path="/health", headers={"x-big": "a" * 10_300})
        response = adapter(event, LambdaContext())
    finally:
        adapter.close()
    assert response["statusCode"] == 200
