"""`LambdaHttpAdapter` given events no API Gateway sends: any JSON value, and the recorded
events of every source with parts replaced or removed. It never raises; an event it
cannot read answers 400 `Unsupported event` (one WARNING line); one it can read is
answered by the app, never with a 500; every answer is one Lambda can serialise."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handler.platform.lambda_http.adapter import LambdaHttpAdapter
from tests.support.events import SOURCES, LambdaContext, http_event, load_event
from tests.support.hostile import hostile, json_values, mutated

RECORDED = [*SOURCES, "http_api_v2_send_notification"]


def check_answer(response: Any) -> int:
    """The answer's status, after checking it is one Lambda and API Gateway take."""
    json.dumps(response)  # Lambda serialises the answer: it must be plain JSON
    status = response["statusCode"]
    assert isinstance(status, int)
    assert 200 <= status < 500, response
    assert isinstance(response.get("body", ""), str)
    if status == 400 and "Unsupported event" in response["body"]:
        assert json.loads(response["body"])["error"] == "Unsupported event"
    return status


@hostile(300)
@given(event=json_values)
def test_any_json_value_is_answered_and_never_raises(
    lambda_handler: LambdaHttpAdapter, event: Any
) -> None:
    status = check_answer(lambda_handler(event, LambdaContext()))
    assert status == 400


@hostile(800)
@given(data=st.data(), name=st.sampled_from(RECORDED))
def test_mutated_recorded_events_are_answered_and_never_raise(
    lambda_handler: LambdaHttpAdapter, data: st.DataObject, name: str
) -> None:
    event = data.draw(mutated(load_event(name)))
    check_answer(lambda_handler(event, LambdaContext()))


def v2(**changes: Any) -> dict[str, Any]:
    event = http_event("http_api_v2", path="/items")
    for dotted, value in changes.items():
        target = event
        *parents, last = dotted.split("__")
        for part in parents:
            target = target[part]
        target[last] = value
    return event


@pytest.mark.parametrize(
    ("event", "status"),
    [
        (v2(requestContext=7), 400),
        (v2(requestContext=None), 400),
        (v2(requestContext=["x"]), 400),
        ({"Records": 5}, 400),
        ({"Records": [None]}, 400),
        (v2(requestContext__http__method=["GET"]), 400),
        (v2(requestContext__http__method="GET\r\nX: y"), 400),
        (v2(headers={"accept": ["application/json"]}), 400),
        (v2(requestContext__http__sourceIp={"ip": 1}), 400),
        (v2(requestContext__http__path=5), 400),
        (v2(body={"text": "not a string"}), 400),
        # Not API Gateway's ids, so not echoed: the answer gets a fresh one.
        (v2(requestContext__requestId="é"), 200),
        (v2(requestContext__requestId="a\r\nSet-Cookie: x=1"), 200),
        (v2(requestContext__requestId=["x"]), 200),
    ],
)
def test_known_malformed_events(
    lambda_handler: LambdaHttpAdapter,
    caplog: pytest.LogCaptureFixture,
    event: dict[str, Any],
    status: int,
) -> None:
    caplog.set_level(logging.INFO)
    response = lambda_handler(event, LambdaContext())
    assert check_answer(response) == status
    if status == 400:
        warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(warnings) == 1
        assert "unsupported event" in warnings[0].getMessage()
    else:
        request_id = response["headers"]["x-request-id"]
        assert len(request_id) == 32
        assert request_id.isalnum()


def test_a_header_an_app_sends_in_latin_1_reaches_the_client(
    lambda_context: LambdaContext,
) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            for step in ("startup", "shutdown"):
                await receive()
                await send({"type": f"lifespan.{step}.complete"})
            return
        headers = [(b"content-type", b"text/plain"), (b"x-name", "José".encode("latin-1"))]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"ok"})

    adapter = LambdaHttpAdapter(app)
    try:
        response = adapter(http_event("http_api_v2"), lambda_context)
    finally:
        adapter.close()
    assert response["statusCode"] == 200
    assert response["headers"]["x-name"] == "José"
