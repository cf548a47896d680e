"""One request, made two ways: through Starlette's TestClient (what uvicorn runs) and as an
HTTP API v2 event through the Lambda adapter (what API Gateway sends), with one answer
type, so a route's test runs unchanged on both. The app is any ASGI app: the demo's, or
the smallest one a platform test needs (tests/support/platform_app.py):

    @pytest.fixture(params=TRANSPORTS)
    def http(request: pytest.FixtureRequest) -> Iterator[Http]:
        with transport(request.param, my_small_app()) as call:
            yield call
"""

from __future__ import annotations

import base64
import json as jsonlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from fastapi.testclient import TestClient
from starlette.types import ASGIApp

from handler.platform.lambda_http.adapter import LambdaHttpAdapter
from tests.support.events import LambdaContext, http_event

TRANSPORTS = ("testclient", "lambda")


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # lower-case names
    text: str

    def json(self) -> Any:
        return jsonlib.loads(self.text)


class Http(Protocol):
    def __call__(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
    ) -> Answer: ...


@contextmanager
def transport(name: str, app: ASGIApp) -> Iterator[Http]:
    """`http(method, path, json=..., headers=..., params=...)` for the app, lifespan entered."""
    if name == "testclient":
        with TestClient(app) as client:

            def through_client(
                method: str,
                path: str,
                *,
                json: Any = None,
                headers: dict[str, str] | None = None,
                params: dict[str, Any] | None = None,
            ) -> Answer:
                got = client.request(method, path, json=json, headers=headers, params=params)
                lowered = {k.lower(): v for k, v in got.headers.items()}
                return Answer(got.status_code, lowered, got.text)

            yield through_client
        return
    adapter, context = LambdaHttpAdapter(app), LambdaContext()

    def through_lambda(
        method: str,
        path: str,
        *,
        json: Any = None,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
    ) -> Answer:
        sent = dict(headers or {})
        body = None
        if json is not None:
            body = jsonlib.dumps(json)
            sent["content-type"] = "application/json"
        query = [(key, str(value)) for key, value in (params or {}).items()]
        event = http_event(
            "http_api_v2", method=method, path=path, query=query, headers=sent, body=body
        )
        got = adapter(event, context)
        raw = got.get("body") or ""
        text = base64.b64decode(raw).decode() if got.get("isBase64Encoded") else raw
        lowered = {k.lower(): str(v) for k, v in (got.get("headers") or {}).items()}
        return Answer(got["statusCode"], lowered, text)

    try:
        yield through_lambda
    finally:
        adapter.close()
