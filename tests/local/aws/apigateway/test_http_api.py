"""The emulated HTTP API (local.aws.apigateway.http_api) under a real uvicorn, driven with httpx."""

from __future__ import annotations

import atexit
import base64
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import httpx
import pytest

from local.aws import topology
from local.aws.apigateway.http_api import http_api_app
from local.aws.lambda_.invoke import Failure, Invocation, Invoker
from tests.support.events import load_event
from tests.support.gateway_doubles import GATEWAY_ID, FakeFunction, InProcessFunction, fresh_entry
from tests.support.servers import LiveServer

INTERNAL_ERROR = {"message": "Internal Server Error"}


@contextmanager
def http_api(function: Invoker, **options: Any) -> Iterator[str]:
    with LiveServer(http_api_app(function, **options)) as server:
        yield server.url


def test_a_request_becomes_the_v2_event_api_gateway_sends() -> None:
    fake = FakeFunction(lambda event: {"statusCode": 204})
    with http_api(fake) as url:
        response = httpx.post(
            f"{url}/api/v1/a%20b?a=1&a=2&empty=",
            headers=[
                ("X-Multi", "one"),
                ("X-Multi", "two"),
                ("Cookie", "session=abc; theme=dark"),
                ("Content-Type", "application/json"),
                ("User-Agent", "tests/1.0"),
            ],
            content=b'{"x": 1}',
        )
    assert response.status_code == 204
    [event] = fake.events
    recorded = load_event("http_api_v2")
    assert set(recorded) <= set(event)
    assert set(event["requestContext"]) == set(recorded["requestContext"])
    assert (event["version"], event["routeKey"]) == ("2.0", "$default")
    assert (event["rawPath"], event["rawQueryString"]) == ("/api/v1/a b", "a=1&a=2&empty=")
    assert event["cookies"] == ["session=abc", "theme=dark"]
    assert event["queryStringParameters"] == {"a": "1,2", "empty": ""}
    assert "pathParameters" not in event
    headers = event["headers"]
    assert "cookie" not in headers
    assert all(name == name.lower() for name in headers)
    assert headers["x-multi"] == "one,two"
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert (headers["x-forwarded-proto"], headers["x-forwarded-port"]) == ("http", url[-5:])
    assert headers["x-amzn-trace-id"].startswith("Root=1-")
    context = event["requestContext"]
    assert context["http"] == {
        "method": "POST",
        "path": "/api/v1/a b",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "tests/1.0",
    }
    assert (context["routeKey"], context["stage"]) == ("$default", "$default")
    assert (context["accountId"], context["domainName"]) == (topology.ACCOUNT, "127.0.0.1")
    assert GATEWAY_ID.fullmatch(context["requestId"])
    assert response.headers["apigw-requestid"] == context["requestId"]
    assert abs(context["timeEpoch"] - time.time() * 1000) < 10_000
    assert re.fullmatch(r"\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000", context["time"])
    assert (event["body"], event["isBase64Encoded"]) == ('{"x": 1}', False)


def test_only_text_bodies_arrive_as_text_the_rest_base64() -> None:
    fake = FakeFunction()
    raw = b"a=1&b=\xff\x00"
    binary = ["application/octet-stream", "image/png", "application/x-www-form-urlencoded", None]
    text = ["text/plain; charset=utf-8", "application/json", "application/xml"]
    with http_api(fake) as url:
        for content_type in [*binary, *text]:
            headers = {"content-type": content_type} if content_type else {}
            body = raw if content_type in binary else b"caf\xc3\xa9"
            httpx.post(url, content=body, headers=headers)
        httpx.get(url)
    for event, content_type in zip(fake.events, binary, strict=False):
        assert event["isBase64Encoded"] is True, content_type
        assert base64.b64decode(event["body"]) == raw
    for event in fake.events[len(binary) : -1]:
        assert (event["body"], event["isBase64Encoded"]) == ("café", False)
    no_body = fake.events[-1]
    assert "body" not in no_body
    assert no_body["isBase64Encoded"] is False


def test_every_request_gets_a_fresh_request_id() -> None:
    fake = FakeFunction()
    with http_api(fake) as url:
        answers = [httpx.get(url) for _ in range(3)]
    ids = [event["requestContext"]["requestId"] for event in fake.events]
    assert len(set(ids)) == 3
    assert [answer.headers["apigw-requestid"] for answer in answers] == ids


def test_the_answer_maps_back_as_api_gateway_maps_it() -> None:
    image = b"\x89PNG\x00\xff"
    answer = {
        "statusCode": 201,
        "headers": {"X-Answer": "yes", "Content-Type": "image/png", "content-length": "999"},
        "multiValueHeaders": {"X-Ignored": ["not", "in format 2.0"]},
        "cookies": ["a=1; Path=/", "b=2; HttpOnly"],
        "body": base64.b64encode(image).decode(),
        "isBase64Encoded": True,
    }
    with http_api(FakeFunction(lambda event: answer)) as url:
        response = httpx.get(url)
    assert response.status_code == 201
    assert response.content == image
    assert response.headers["x-answer"] == "yes"
    assert response.headers["content-type"] == "image/png"
    assert response.headers["content-length"] == str(len(image))
    assert response.headers.get_list("set-cookie") == ["a=1; Path=/", "b=2; HttpOnly"]
    assert "x-ignored" not in response.headers
    assert GATEWAY_ID.fullmatch(response.headers["apigw-requestid"])


@pytest.mark.parametrize(
    ("payload", "body"),
    [({"message": "hi"}, b'{"message": "hi"}'), ("Hello", b"Hello"), ([1, 2], b"[1, 2]")],
)
def test_an_answer_without_status_code_is_inferred(payload: Any, body: bytes) -> None:
    with http_api(FakeFunction(lambda event: payload)) as url:
        response = httpx.get(url)
    assert (response.status_code, response.content) == (200, body)
    assert response.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    "payload",
    [
        {"statusCode": "abc"},
        {"statusCode": 700},
        {"statusCode": 200, "body": "***", "isBase64Encoded": True},
        {"statusCode": 200, "headers": ["not", "an", "object"]},
        {"statusCode": 200, "body": {"not": "a string"}},
    ],
)
def test_a_malformed_answer_is_500(payload: dict[str, Any]) -> None:
    with http_api(FakeFunction(lambda event: payload)) as url:
        response = httpx.get(url)
    assert (response.status_code, response.json()) == (500, INTERNAL_ERROR)


def test_function_failures_are_500() -> None:
    failures = iter(Failure)
    fake = FakeFunction(lambda event: Invocation(failure=next(failures), detail="boom"))
    with http_api(fake) as url:
        answers = [httpx.get(url) for _ in Failure]
    assert [(a.status_code, a.json()) for a in answers] == [(500, INTERNAL_ERROR)] * len(Failure)
    assert all("apigw-requestid" in answer.headers for answer in answers)


def test_no_answer_within_the_integration_timeout_is_503() -> None:
    with http_api(FakeFunction(delay=3), integration_timeout=0.2) as url:
        started = time.monotonic()
        response = httpx.get(url)
    assert time.monotonic() - started < 2
    assert (response.status_code, response.json()) == (503, {"message": "Service Unavailable"})
    assert "apigw-requestid" in response.headers


def test_a_body_over_10_mb_is_413_and_never_invoked() -> None:
    fake = FakeFunction()
    with http_api(fake) as url:
        response = httpx.post(url, content=b"x" * (topology.HTTP_API_MAX_REQUEST_BYTES + 1))
    assert response.status_code == 413
    assert response.json() == {"message": "Request Entity Too Large"}
    assert fake.events == []


def test_a_streamed_body_is_read_only_up_to_the_limit() -> None:
    def chunks(total: int) -> Iterator[bytes]:
        yield from (b"y" * 100 for _ in range(total // 100))

    fake = FakeFunction()
    with http_api(fake, max_request_bytes=1000) as url:
        over = httpx.post(url, content=chunks(2000))  # chunked: no content-length to trust
        at_limit = httpx.post(url, content=chunks(1000))
    assert (over.status_code, at_limit.status_code) == (413, 200)
    [event] = fake.events
    assert base64.b64decode(event["body"]) == b"y" * 1000


def test_an_event_over_lambdas_6_mb_is_413_and_never_invoked() -> None:
    fake = FakeFunction()
    with http_api(fake) as url:
        # Under the gateway's 10 MB, but 6.7 MB once base64-encoded in the event.
        response = httpx.post(url, content=b"\x00" * (5 * 1024 * 1024))
    assert response.status_code == 413
    assert fake.events == []


def test_an_answer_over_lambdas_6_mb_is_500() -> None:
    limit = topology.LAMBDA_MAX_RESPONSE_BYTES
    sizes = iter([limit, limit - 1000])
    fake = FakeFunction(lambda event: {"statusCode": 200, "body": "x" * next(sizes)})
    with http_api(fake) as url:
        over, under = httpx.get(url), httpx.get(url)
    assert (over.status_code, over.json()) == (500, INTERNAL_ERROR)
    assert (under.status_code, len(under.content)) == (200, limit - 1000)


@pytest.fixture
def lambda_http() -> Iterator[ModuleType]:
    with fresh_entry("handler.lambda_http") as module:
        # Shut down here, not at exit (after pytest closed the streams it logs to).
        atexit.unregister(module.handler.close)
        try:
            yield module
        finally:
            module.handler.close()


def test_the_real_http_function_answers_through_the_gateway(lambda_http: ModuleType) -> None:
    with http_api(InProcessFunction("http", lambda_http.handler)) as url:
        users = httpx.get(f"{url}/api/v2/users", headers={"Cookie": "a=1; b=2"})
        teapot = httpx.get(f"{url}/unicorns/yolo")
    assert users.status_code == 200
    assert users.json()["version"] == "2"
    assert users.headers["x-custom"] == "fastapi-serverless"
    assert float(users.headers["x-process-time"]) >= 0
    assert GATEWAY_ID.fullmatch(users.headers["apigw-requestid"])
    assert teapot.status_code == 418
    assert teapot.json()["path"] == f"{url}/unicorns/yolo"
