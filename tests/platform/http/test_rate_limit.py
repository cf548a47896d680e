"""`rate_limit` (`GET /limited`, "5/minute", of tests/platform/http/conftest.py): in
memory and on a real Redis, locally and on Lambda, keyed by the address the platform
reports."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from handler.platform.http.rate_limit import client_address, rate_limit
from handler.platform.lambda_http.adapter import LambdaHttpAdapter
from tests.support.events import LambdaContext, http_event
from tests.support.platform_app import test_settings
from tests.support.redis_settings import memory_or_redis_settings

# Every test here runs on both backends.
settings = pytest.fixture(params=["memory", "redis"])(memory_or_redis_settings)


def test_sixth_request_in_a_minute_is_refused_with_retry_after(client: TestClient) -> None:
    answers = [client.get("/limited") for _ in range(6)]
    assert [a.status_code for a in answers] == [200] * 5 + [429]
    refused = answers[-1]
    assert refused.json() == {"error": "Too Many Requests", "path": "http://testserver/limited"}
    assert 1 <= int(refused.headers["retry-after"]) <= 60


def test_every_limited_answer_carries_the_ratelimit_headers(client: TestClient) -> None:
    before = time.time()
    answers = [client.get("/limited") for _ in range(6)]
    after = time.time()  # the window opened between the two, however slow the machine
    assert [a.headers["x-ratelimit-limit"] for a in answers] == ["5"] * 6
    assert [a.headers["x-ratelimit-remaining"] for a in answers] == ["4", "3", "2", "1", "0", "0"]
    for answer in answers:
        assert before + 59 <= int(answer.headers["x-ratelimit-reset"]) <= after + 61


def test_spoofed_x_forwarded_for_does_not_change_the_key(client: TestClient) -> None:
    statuses = [
        client.get("/limited", headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code
        for i in range(6)
    ]
    assert statuses == [200] * 5 + [429]


def test_each_api_gateway_source_ip_has_its_own_limit_on_lambda(
    lambda_handler: LambdaHttpAdapter, lambda_context: LambdaContext
) -> None:
    def call(source_ip: str, forwarded_for: str) -> dict[str, Any]:
        event = http_event(
            "http_api_v2", path="/limited", headers={"x-forwarded-for": forwarded_for}
        )
        event["requestContext"]["http"]["sourceIp"] = source_ip
        return lambda_handler(event, lambda_context)

    # The client rotates X-Forwarded-For; API Gateway's source IP stays its own.
    first = [call("203.0.113.7", f"10.0.0.{i}")["statusCode"] for i in range(6)]
    other = call("203.0.113.8", "10.0.0.1")
    assert first == [200] * 5 + [429]
    assert other["statusCode"] == 200
    assert other["headers"]["x-ratelimit-remaining"] == "4"
    refused = call("203.0.113.7", "10.0.0.99")
    assert json.loads(refused["body"])["error"] == "Too Many Requests"
    assert int(refused["headers"]["retry-after"]) >= 1


def test_limits_are_counted_per_route_and_per_key_function(app: FastAPI) -> None:
    def api_key(request: Request) -> str:
        return request.headers.get("x-api-key", "anonymous")

    @app.get("/by-key", dependencies=[rate_limit("2/minute", key=api_key)])
    async def by_key() -> dict[str, str]:
        return {}

    with TestClient(app) as client:
        as_alice = {"x-api-key": "alice"}
        alice = [client.get("/by-key", headers=as_alice).status_code for _ in range(3)]
        bob = client.get("/by-key", headers={"x-api-key": "bob"}).status_code
        other_route = client.get("/limited").status_code
    assert alice == [200, 200, 429]
    assert bob == 200
    assert other_route == 200


def test_a_misspelt_limit_fails_when_the_route_is_defined() -> None:
    with pytest.raises(ValueError, match="bad rate limit 'five a minute'"):
        rate_limit("five a minute")


def make_request(client: tuple[str, int], forwarded: list[str], hops: int) -> Request:
    app = FastAPI()
    app.state.settings = test_settings(trusted_proxy_hops=hops)
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    scope = {"type": "http", "app": app, "client": client, "headers": headers}
    return Request(scope)


@pytest.mark.parametrize(
    ("forwarded", "hops", "expected"),
    [
        (["6.6.6.6"], 0, "10.0.0.2"),  # the header is ignored unless proxies are trusted
        (["6.6.6.6, 203.0.113.9"], 1, "203.0.113.9"),  # our proxy appended the client
        (["6.6.6.6", "203.0.113.9, 10.0.0.5"], 2, "203.0.113.9"),  # two proxies, two headers
        ([], 1, "10.0.0.2"),  # a trusted proxy that did not append: its own address
    ],
)
def test_client_address_reads_forwarded_for_only_from_trusted_hops(
    forwarded: list[str], hops: int, expected: str
) -> None:
    assert client_address(make_request(("10.0.0.2", 50000), forwarded, hops)) == expected
