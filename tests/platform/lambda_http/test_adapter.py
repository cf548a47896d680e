"""The same features through `LambdaHttpAdapter`, with recorded events of all four sources."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from fastapi import FastAPI, Request, Response
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from handler.platform.lambda_http.adapter import LambdaHttpAdapter
from tests.support.events import SOURCES, LambdaContext, http_event
from tests.support.platform_app import CUSTOM
from tests.support.transports import TRANSPORTS, transport

V2_SOURCES = ("http_api_v2", "function_url")


def header(response: dict[str, Any], name: str) -> str:
    """A response header whether the source answers single- or multi-value headers."""
    single = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    if name in single:
        return str(single[name])
    multi = {k.lower(): v for k, v in (response.get("multiValueHeaders") or {}).items()}
    return str(multi[name][0])


def body(response: dict[str, Any]) -> bytes:
    raw: str = response["body"]
    return base64.b64decode(raw) if response.get("isBase64Encoded") else raw.encode()


@pytest.mark.parametrize("source", SOURCES)
def test_json_answers_through_every_event_source(
    lambda_handler: LambdaHttpAdapter, lambda_context: LambdaContext, source: str
) -> None:
    response = lambda_handler(http_event(source, path="/items"), lambda_context)
    assert response["statusCode"] == 200
    assert json.loads(body(response)) == {"items": [1, 2]}
    assert header(response, "content-type") == "application/json"
    assert float(header(response, "x-process-time")) >= 0
    assert header(response, "x-custom") == CUSTOM


@pytest.mark.parametrize("source", SOURCES)
def test_errors_keep_their_answers_on_lambda(
    lambda_handler: LambdaHttpAdapter, lambda_context: LambdaContext, source: str
) -> None:
    custom = lambda_handler(http_event(source, path="/teapot"), lambda_context)
    assert custom["statusCode"] == 418
    answer = json.loads(body(custom))
    assert answer["error"] == "teapot"
    assert answer["path"].startswith("https://")
    assert answer["path"].endswith("/teapot")

    crash = lambda_handler(http_event(source, path="/boom"), lambda_context)
    assert crash["statusCode"] == 500
    answer = json.loads(body(crash))
    assert answer == {"error": "Internal server error", "path": answer["path"]}
    assert answer["path"].endswith("/boom")
    assert header(crash, "x-custom") == CUSTOM


def test_rest_stage_prefix_becomes_root_path_for_docs(
    lambda_handler: LambdaHttpAdapter, lambda_context: LambdaContext
) -> None:
    docs = lambda_handler(http_event("apigw_rest_v1", path="/docs"), lambda_context)
    assert docs["statusCode"] == 200
    assert "'/prod/openapi.json'" in body(docs).decode()
    schema = lambda_handler(http_event("apigw_rest_v1", path="/openapi.json"), lambda_context)
    assert json.loads(body(schema))["servers"] == [{"url": "/prod"}]


def test_http_api_named_stage_is_stripped_from_the_route(
    lambda_handler: LambdaHttpAdapter, lambda_context: LambdaContext
) -> None:
    event = http_event("http_api_v2", path="/prod/items")
    event["requestContext"]["stage"] = "prod"
    response = lambda_handler(event, lambda_context)
    assert response["statusCode"] == 200
    docs_event = http_event("http_api_v2", path="/prod/docs")
    docs_event["requestContext"]["stage"] = "prod"
    assert "'/prod/openapi.json'" in body(lambda_handler(docs_event, lambda_context)).decode()


@pytest.fixture
def echo_app(app: FastAPI) -> FastAPI:
    """The test app plus one route that reflects what the adapter delivered."""

    @app.api_route("/echo", methods=["GET", "POST"])
    async def echo(request: Request) -> Response:
        raw = await request.body()
        payload = {
            "query": list(request.query_params.multi_items()),
            "cookies": dict(request.cookies),
            "client": request.client.host if request.client else None,
            "length": len(raw),
        }
        headers = [("set-cookie", "a=1; Path=/"), ("set-cookie", "b=2; Path=/")]
        if request.method == "POST":
            response = Response(raw, media_type="application/octet-stream")
        else:
            response = Response(json.dumps(payload), media_type="application/json")
        for name, value in headers:
            response.headers.append(name, value)
        return response

    return app


@pytest.fixture
def echo_handler(echo_app: FastAPI) -> Any:
    adapter = LambdaHttpAdapter(echo_app)
    yield adapter
    adapter.close()


@pytest.mark.parametrize("source", V2_SOURCES)
def test_v2_cookies_and_repeated_query_params_arrive(
    echo_handler: LambdaHttpAdapter, lambda_context: LambdaContext, source: str
) -> None:
    event = http_event(source, path="/echo", query=[("tag", "a"), ("tag", "b"), ("q", "x y")])
    event["cookies"] = ["session=abc123", "theme=dark"]
    response = echo_handler(event, lambda_context)
    seen = json.loads(body(response))
    assert seen["query"] == [["tag", "a"], ["tag", "b"], ["q", "x y"]]
    assert seen["cookies"] == {"session": "abc123", "theme": "dark"}
    assert sorted(response["cookies"]) == ["a=1; Path=/", "b=2; Path=/"]


@pytest.mark.parametrize("source", ["apigw_rest_v1", "alb"])
def test_v1_and_alb_multi_value_query_and_headers(
    echo_handler: LambdaHttpAdapter, lambda_context: LambdaContext, source: str
) -> None:
    event = http_event(source, path="/echo", query=[("tag", "a"), ("tag", "b")])
    response = echo_handler(event, lambda_context)
    assert json.loads(body(response))["query"] == [["tag", "a"], ["tag", "b"]]
    assert response["multiValueHeaders"]["set-cookie"] == ["a=1; Path=/", "b=2; Path=/"]


@pytest.mark.parametrize("source", SOURCES)
def test_client_address_comes_from_the_request_context(
    echo_handler: LambdaHttpAdapter, lambda_context: LambdaContext, source: str
) -> None:
    # A forged first hop; an ALB appends the peer it really saw as the last entry.
    forged = {"x-forwarded-for": "6.6.6.6, 203.0.113.30"}
    seen = json.loads(
        body(echo_handler(http_event(source, path="/echo", headers=forged), lambda_context))
    )
    assert seen["client"].startswith("203.0.113.")


@pytest.mark.parametrize("source", SOURCES)
def test_binary_bodies_travel_base64_both_ways(
    echo_handler: LambdaHttpAdapter, lambda_context: LambdaContext, source: str
) -> None:
    payload = bytes(range(256)) * 4
    event = http_event(
        source,
        method="POST",
        path="/echo",
        body=payload,
        headers={"content-type": "application/octet-stream"},
    )
    response = echo_handler(event, lambda_context)
    assert response["isBase64Encoded"] is True
    assert base64.b64decode(response["body"]) == payload


@pytest.mark.parametrize(
    ("event", "detail"),
    [
        ({"foo": 1}, "no known event shape"),
        ([1, 2], "not a JSON object"),
        ({"version": "2.0", "requestContext": {}}, "malformed HTTPGateway event"),
        ({"resource": "/", "requestContext": {}}, "malformed APIGateway event"),
    ],
)
def test_unknown_or_malformed_events_get_a_clear_400(
    lambda_handler: LambdaHttpAdapter,
    lambda_context: LambdaContext,
    caplog: pytest.LogCaptureFixture,
    event: Any,
    detail: str,
) -> None:
    response = lambda_handler(event, lambda_context)
    assert response["statusCode"] == 400
    answer = json.loads(response["body"])
    assert answer["error"] == "Unsupported event"
    assert detail in answer["detail"]
    assert "API Gateway REST (v1)" in answer["expected"]
    assert any("unsupported event" in r.getMessage() for r in caplog.records)


def test_stream_through_mangum_arrives_whole(
    lambda_handler: LambdaHttpAdapter, lambda_context: LambdaContext
) -> None:
    # Mangum buffers: the events are all there, but only at the end. AWS streams
    # through Lambda Web Adapter instead (tests/test_stream.py covers real streaming).
    response = lambda_handler(http_event("function_url", path="/stream"), lambda_context)
    assert header(response, "content-type").startswith("text/event-stream")
    events = [line for line in body(response).decode().splitlines() if line.startswith("data:")]
    assert events == [f"data: {i}" for i in range(10)]


async def _silent_app(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await receive()
        await send({"type": "lifespan.startup.complete"})
        await receive()
        await send({"type": "lifespan.shutdown.complete"})


async def _crashing_app(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await _silent_app(scope, receive, send)
        return
    raise RuntimeError("raised outside every error handler")


@pytest.mark.parametrize("app", [_silent_app, _crashing_app])
def test_an_app_that_never_answers_still_gets_a_500(
    lambda_context: LambdaContext, app: Any
) -> None:
    adapter = LambdaHttpAdapter(app)
    try:
        response = adapter(http_event("http_api_v2", path="/x"), lambda_context)
    finally:
        adapter.close()
    assert response["statusCode"] == 500
    answer = json.loads(response["body"])
    assert answer == {"error": "Internal server error", "path": answer["path"]}
    assert answer["path"].endswith("/x")


def test_openapi_on_lambda_hides_internal_and_serves_redoc(
    lambda_handler: LambdaHttpAdapter, lambda_context: LambdaContext
) -> None:
    schema = json.loads(
        body(lambda_handler(http_event("apigw_rest_v1", path="/openapi.json"), lambda_context))
    )
    assert schema["info"]["version"] == "1.0.0"
    assert "/internal" not in schema["paths"]
    assert "/items" in schema["paths"]
    internal = lambda_handler(http_event("apigw_rest_v1", path="/internal"), lambda_context)
    assert internal["statusCode"] == 200
    redoc = lambda_handler(http_event("apigw_rest_v1", path="/redoc"), lambda_context)
    assert "/prod/openapi.json" in body(redoc).decode()


@pytest.mark.parametrize("source", ["apigw_rest_v1", "http_api_v2", "function_url"])
def test_request_id_is_api_gateways(
    lambda_handler: LambdaHttpAdapter, lambda_context: LambdaContext, source: str
) -> None:
    event = http_event(source, path="/items", headers={"x-request-id": "forged"})
    response = lambda_handler(event, lambda_context)
    assert header(response, "x-request-id") == event["requestContext"]["requestId"]


@pytest.mark.parametrize("name", TRANSPORTS)
def test_a_bare_starlette_app_answers_the_same_through_both_transports(name: str) -> None:
    async def hello(request: Request) -> PlainTextResponse:
        return PlainTextResponse(f"hello {request.query_params.get('who', 'you')}")

    app = Starlette(routes=[Route("/hello", hello)])
    with transport(name, app) as http:
        answer = http("GET", "/hello", params={"who": "lambda"})
    assert (answer.status, answer.text) == (200, "hello lambda")
    assert answer.headers["content-type"].startswith("text/plain")
