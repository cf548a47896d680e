"""API Gateway's request limits kept locally: 413 past the body limit without reading
past it, 431 past the head limit, both in the one error shape; Lambda events are left to
API Gateway's own head check."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from handler.platform.http.limits import RequestLimitsMiddleware
from handler.platform.lambda_http.adapter import LambdaHttpAdapter
from tests.support.events import LambdaContext, http_event
from tests.support.platform_app import platform_app
from tests.support.servers import LiveServer

LIMIT = 4096


class RawEcho:
    """An ASGI app routed to as GraphQL is: it reads the whole body itself."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        size, more = 0, True
        while more:
            message = await receive()
            size += len(message.get("body", b""))
            more = message.get("more_body", False)
        await JSONResponse({"size": size}, status_code=202)(scope, receive, send)


@pytest.fixture
def app() -> FastAPI:
    app = platform_app()

    @app.get("/hello")
    async def hello() -> dict[str, str]:
        return {"hello": "world"}

    @app.post("/echo", status_code=202)
    async def echo(request: Request) -> dict[str, Any]:
        return {"size": len(json.dumps(await request.json()))}

    app.router.routes.append(Route("/raw", RawEcho(), methods=["POST"]))
    app.add_middleware(RequestLimitsMiddleware, max_body_bytes=LIMIT, max_header_bytes=10_240)
    return app


@pytest.fixture
def server(app: FastAPI) -> Iterator[LiveServer]:
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
            b"POST /echo HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100000000\r\n\r\n"
        )
        started = time.perf_counter()
        head = sock.recv(4096)
    assert head.startswith(b"HTTP/1.1 413 ")
    assert time.perf_counter() - started < 5
    answer = json.loads(head.split(b"\r\n\r\n", 1)[1])
    assert answer["error"] == "Request Entity Too Large"
    assert answer["path"].endswith("/echo")


@pytest.mark.parametrize("path", ["/echo", "/raw"])
def test_a_streamed_body_over_the_limit_answers_413(server: LiveServer, path: str) -> None:
    response = httpx.post(
        server.url + path, content=chunks(LIMIT * 10), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["detail"] == f"the request body is over {LIMIT} bytes"


def test_a_body_at_the_limit_reaches_the_route(server: LiveServer) -> None:
    body = json.dumps({"text": "x" * (LIMIT - 20)}).encode().ljust(LIMIT)
    response = httpx.post(
        server.url + "/echo", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 202


def test_headers_over_api_gateways_limit_answer_431(server: LiveServer) -> None:
    under = httpx.get(server.url + "/hello", headers={"x-big": "a" * 9_900})
    over = httpx.get(server.url + "/hello", headers={"x-big": "a" * 10_300})
    line = httpx.get(server.url + "/hello?q=" + "a" * 10_300)

    assert under.status_code == 200
    assert over.status_code == 431
    assert over.json()["error"] == "Request Header Fields Too Large"
    assert line.status_code == 431
    assert len(line.json()["path"]) < 1100  # the echoed URL is cut


def test_lambda_events_are_left_to_api_gateways_head_check(app: FastAPI) -> None:
    adapter = LambdaHttpAdapter(app)
    try:
        event = http_event("http_api_v2", path="/hello", headers={"x-big": "a" * 10_300})
        response = adapter(event, LambdaContext())
    finally:
        adapter.close()
    assert response["statusCode"] == 200
