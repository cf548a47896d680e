"""Our one-pass scope of an HTTP API (payload 2.0) event is Mangum's, pair for pair."""

from __future__ import annotations

from typing import Any

import pytest
from mangum.handlers import HTTPGateway

from handler.platform.lambda_http.event_sources import HttpApi
from tests.support.events import LambdaContext, http_event

CONFIG: Any = {"api_gateway_base_path": "/", "text_mime_types": [], "exclude_headers": []}


def with_headers(headers: dict[str, str]) -> dict[str, Any]:
    return {**http_event("http_api_v2", path="/x"), "headers": headers}


@pytest.mark.parametrize(
    "event",
    [
        http_event("http_api_v2", path="/api/v1/users", query=[("limit", "5"), ("a", "é")]),
        {**http_event("http_api_v2", path="/x"), "cookies": ["a=1", "b=2"]},
        http_event("http_api_v2", path="/x", headers={"X-Forwarded-Proto": "http", "Host": "h:81"}),
        # Names as no API Gateway sends them: upper case, twice once lowered, not ASCII.
        with_headers({"X-Forwarded-Proto": "http", "Host": "h:81", "accept": "*/*"}),
        with_headers({"host": "a", "x-a": "1", "Host": "b"}),
        with_headers({"x-É": "1", "x-é": "2"}),
        # A cookie header beside the cookies (API Gateway moves them all to `cookies`).
        {**with_headers({"cookie": "z=9", "accept": "*/*"}), "cookies": ["a=1"]},
    ],
)
def test_the_http_api_scope_is_mangums(event: dict[str, Any]) -> None:
    context = LambdaContext()
    theirs = HTTPGateway(event, context, CONFIG).scope
    for _ in range(2):  # the second time, every lower-case name is one seen before
        ours = HttpApi(event, context, CONFIG).scope
        assert ours["headers"] == [tuple(pair) for pair in theirs["headers"]]
        assert {**ours, "headers": None} == {**theirs, "headers": None}
