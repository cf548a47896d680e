"""Schemathesis over the app's OpenAPI schema, with all its checks (server errors, status
codes, content types, headers and bodies against the schema, negative data rejected):
in-process over ASGI, and through `lambda_http` with every generated request made an
HTTP API v2 event and the Lambda answer made a response again.

Bounded: a few examples per operation, derandomized (the same cases every run).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, positive_data_acceptance

from handler.app import create_app
from handler.platform.lambda_http.adapter import LambdaHttpAdapter
from handler.settings import Settings
from tests.support.events import LambdaContext, http_event

BOUNDED = settings(
    max_examples=50,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
# The route that fails on purpose: every other check still applies to it.
FAILS_ON_PURPOSE = "/boom"


# Loaded at collection: schemathesis' lazy `from_fixture` does not work under pytest 9.
# Its ASGI transport runs the app's lifespan once, for the whole session.
schema = schemathesis.openapi.from_asgi(
    "/openapi.json", create_app(Settings(environment="test", stream_interval=0.0))
)


# Tokens only the server mints: any string is schema-valid, but only the server's own (a
# signed cursor, the user's current ETag) are accepted; a generated one is refused with
# its documented 400 or 412, which is the point, not a conformance failure.
OPAQUE_QUERY = {"cursor"}
OPAQUE_HEADERS = {"if-match"}


# A missing precondition header is 428 Precondition Required (RFC 6585): PATCH of a user
# without If-Match. Schemathesis expects 400/401/403/406/415/422 by default.
schema.config.checks.missing_required_header.expected_statuses = [
    *schema.config.checks.missing_required_header.expected_statuses,
    "428",
]


def excluded(case: Any) -> list[Any]:
    checks = [not_a_server_error] if case.path == FAILS_ON_PURPOSE else []
    headers = {name.lower() for name in (case.headers or {})}
    if OPAQUE_QUERY & set(case.query or {}) or OPAQUE_HEADERS & headers:
        checks.append(positive_data_acceptance)
    return checks


@schema.parametrize()
@BOUNDED
def test_the_app_answers_as_its_schema_says(case: Any) -> None:
    case.call_and_validate(excluded_checks=excluded(case))


@pytest.fixture(scope="module")
def adapter() -> Iterator[LambdaHttpAdapter]:
    adapter = LambdaHttpAdapter(create_app(Settings(environment="test", stream_interval=0.0)))
    yield adapter
    adapter.close()


def through_lambda(
    adapter: LambdaHttpAdapter, case: Any
) -> tuple[schemathesis.Response, dict[str, Any]]:
    """The case as an HTTP API v2 event, and Lambda's answer as an HTTP response."""
    kwargs = case.as_transport_kwargs(base_url="https://api.example.com")
    prepared = requests.Request(**kwargs).prepare()
    url = urlsplit(prepared.url or "")
    body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
    event = http_event(
        "http_api_v2",
        method=prepared.method or "GET",
        path=url.path,
        query=parse_qsl(url.query, keep_blank_values=True),
        headers=dict(prepared.headers),
        body=body,
    )
    started = time.perf_counter()
    answer = adapter(event, LambdaContext())
    elapsed = time.perf_counter() - started
    content = answer.get("body", "")
    raw = base64.b64decode(content) if answer.get("isBase64Encoded") else content.encode()
    headers = {name: [value] for name, value in answer.get("headers", {}).items()}
    if answer.get("cookies"):
        headers["set-cookie"] = list(answer["cookies"])
    response = schemathesis.Response(
        answer["statusCode"], headers, raw, prepared, elapsed, verify=True
    )
    return response, kwargs


@schema.parametrize()
@BOUNDED
def test_the_lambda_answers_as_the_schema_says(adapter: LambdaHttpAdapter, case: Any) -> None:
    response, kwargs = through_lambda(adapter, case)
    case.validate_response(response, excluded_checks=excluded(case), transport_kwargs=kwargs)
