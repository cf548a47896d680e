"""`ApiGatewayWebSocketDriver` given events no API Gateway sends: any JSON value, and the
recorded `$connect`, `$default` and `$disconnect` events with parts replaced or removed.
It never raises and never answers 500 for them: an event it cannot read answers 400
(one WARNING line), anything else the statuses the chat documents."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handler.platform.realtime import Hub
from handler.platform.realtime.drivers.api_gateway import ApiGatewayWebSocketDriver
from handler.platform.realtime.ports import Sender
from handler.platform.realtime.registries.memory import MemoryRegistry
from tests.support.chat_endpoint import endpoint
from tests.support.events import LambdaContext, load_event
from tests.support.hostile import hostile, json_values, mutated
from tests.support.websocket_api import connect, dev_verifier, message

# 400 unreadable or refused, 401 no valid token, 403 refused, 410 unknown connection,
# 413 too large, 415 binary frame (docs/websockets.md).
DOCUMENTED = {200, 400, 401, 403, 410, 413, 415}


class NullSender(Sender):
    async def send(self, connection_id: str, text: str) -> None:
        return None


class RecordingSender(Sender):
    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, connection_id: str, text: str) -> None:
        self.sent.append(text)


@pytest.fixture
def ws() -> ApiGatewayWebSocketDriver:
    adapter = ApiGatewayWebSocketDriver(
        endpoint, lambda: Hub(MemoryRegistry(), NullSender()), verifier=dev_verifier()
    )
    # One connection is registered, so mutated `$default` events can reach the chat.
    assert adapter(connect("WyHPAfymhcwCENw="), LambdaContext())["statusCode"] == 200
    return adapter


def check_answer(response: Any) -> int:
    json.dumps(response)
    status = response["statusCode"]
    assert status in DOCUMENTED, response
    if status != 200:
        assert "error" in json.loads(response["body"])
    return int(status)


@hostile(300)
@given(event=json_values)
def test_any_json_value_is_answered_400(ws: ApiGatewayWebSocketDriver, event: Any) -> None:
    assert check_answer(ws(event, LambdaContext())) == 400


@hostile(800)
@given(data=st.data(), name=st.sampled_from(["ws_connect", "ws_default", "ws_disconnect"]))
def test_mutated_recorded_events_are_answered_and_never_raise(
    ws: ApiGatewayWebSocketDriver, data: st.DataObject, name: str
) -> None:
    event = data.draw(mutated(load_event(name)))
    check_answer(ws(event, LambdaContext()))


def changed(event: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    target = event
    *parents, last = path.split(".")
    for part in parents:
        target = target[part]
    target[last] = value
    return event


CID = "WyHPAfymhcwCENw="


@pytest.mark.parametrize(
    ("event", "status"),
    [
        (changed(connect(CID), "requestContext.identity", "203.0.113.7"), 400),
        (changed(connect(CID), "requestContext.identity", ["x"]), 400),
        (changed(connect(CID), "queryStringParameters", "client_id=7"), 400),
        (changed(connect(CID), "queryStringParameters", {"client_id": 7}), 400),
        (changed(connect(CID), "queryStringParameters", {"token": 7}), 400),
        (changed(connect(CID), "queryStringParameters", {"token": "x" * 20_000}), 401),
        (changed(connect(CID), "queryStringParameters", None), 401),
        (changed(connect(CID), "queryStringParameters", [["client_id", "7"]]), 400),
        (changed(connect(CID), "requestContext.connectionId", "x" * 2000), 400),
        (changed(connect(CID), "requestContext.connectionId", "a/../b c"), 400),
        (changed(connect(CID), "requestContext.connectedAt", 10**400), 200),
        (changed(connect(CID), "requestContext.identity.sourceIp", 5), 200),
        (changed(message(CID, "hi"), "body", {"text": "hi"}), 400),
        (changed(message(CID, "hi"), "body", 5), 400),
        (changed(changed(message(CID, "hi"), "body", 5), "isBase64Encoded", True), 400),
        (changed(message(CID, "hi"), "requestContext", "x"), 400),
        (changed(message(CID, "hi"), "requestContext.routeKey", ["$default"]), 400),
    ],
)
def test_known_malformed_events(
    ws: ApiGatewayWebSocketDriver,
    caplog: pytest.LogCaptureFixture,
    event: dict[str, Any],
    status: int,
) -> None:
    caplog.clear()
    response = ws(event, LambdaContext())
    assert check_answer(response) == status
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == (1 if status == 400 else 0)


def test_a_body_that_is_not_text_is_never_broadcast() -> None:
    sender = RecordingSender()
    ws = ApiGatewayWebSocketDriver(
        endpoint, lambda: Hub(MemoryRegistry(), sender), verifier=dev_verifier()
    )
    ws(connect(CID), LambdaContext())

    refused = ws(changed(message(CID, "x"), "body", {"text": "hi"}), LambdaContext())
    ws(message(CID, "hi"), LambdaContext())

    assert refused["statusCode"] == 400
    assert sender.sent == ["Client 7: hi"]
