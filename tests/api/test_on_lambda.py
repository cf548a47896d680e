"""The demo app through the Lambda adapter: its users resource from every event source,
and GraphQL. The adapter itself is tested on an app of its own
(tests/platform/lambda_http/)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from handler.platform.lambda_http.adapter import LambdaHttpAdapter
from tests.support.events import SOURCES, LambdaContext, http_event


def body(response: dict[str, Any]) -> bytes:
    raw: str = response["body"]
    return base64.b64decode(raw) if response.get("isBase64Encoded") else raw.encode()


def header(response: dict[str, Any], name: str) -> str:
    single = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    if name in single:
        return str(single[name])
    multi = {k.lower(): v for k, v in (response.get("multiValueHeaders") or {}).items()}
    return str(multi[name][0])


@pytest.mark.parametrize("source", SOURCES)
def test_users_answer_through_every_event_source(
    lambda_handler: LambdaHttpAdapter, lambda_context: LambdaContext, source: str
) -> None:
    v1 = lambda_handler(http_event(source, path="/api/v1/users"), lambda_context)
    v2 = lambda_handler(http_event(source, path="/api/v2/users"), lambda_context)
    assert v1["statusCode"] == 200
    listed = json.loads(body(v1))
    assert [user["name"] for user in listed["users"]] == ["Patrick", "Sandy"]
    assert json.loads(body(v2)) == {
        **listed,
        "version": "2",
        "meta": {"count": 2, "next_cursor": None},
    }
    assert float(header(v1, "x-process-time")) >= 0
    assert header(v1, "x-custom") == "fastapi-serverless"


def test_graphql_through_lambda(
    lambda_handler: LambdaHttpAdapter, lambda_context: LambdaContext
) -> None:
    event = http_event(
        "http_api_v2",
        method="POST",
        path="/graphql",
        body=json.dumps({"query": "query { user(id: 1) { name age } }"}),
        headers={"content-type": "application/json"},
    )
    response = lambda_handler(event, lambda_context)
    assert json.loads(body(response)) == {"data": {"user": {"name": "Patrick", "age": 100}}}
