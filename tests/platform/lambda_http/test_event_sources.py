"""Our one-pass scope of an HTTP API (payload 2.0) event is Mangum's, pair for pair."""

from __future__ import annotations

from typing import Any

import pytest
from mangum.handlers import HTTPGateway

from handler.platform.lambda_http.event_sources import HttpApi
from tests.support.events import LambdaContext, http_event

CONFIG: Any = {"api_gateway_base_path": "/", "text_mime_types": [], "exclude_headers": []}


@pytest.mark.parametrize(
    "event",
    [
        http_event("http_api_v2", path="/api/v1/users", query=[("limit", "5"), ("a", "é")]),
        {**http_event("http_api_v2", path="/x"), "cookies": ["a=1", "b=2"]},
        http_event("http_api_v2", path="/x", headers={"X-Forwarded-Proto": "http", "Host": "h:81"}),
    ],
)
def test_the_http_api_scope_is_mangums(event: dict[str, Any]) -> None:
    context = LambdaContext()
    ours = HttpApi(event, context, CONFIG).scope
    theirs = HTTPGateway(event, context, CONFIG).scope
    assert ours["headers"] == [tuple(pair) for pair in theirs["headers"]]
    assert {**ours, "headers": None} == {**theirs, "headers": None}
