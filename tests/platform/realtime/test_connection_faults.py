"""The WebSocket function when the connections table throttles, and during a storm of
gone connections: `lambda_ws.handler`'s adapter on moto's DynamoDB and the loopback
@connections API (which answers 410 for the ids a test marks gone).

Throttling is injected past botocore's own retries (`tests/support/faults.py`): what
the adapter sees when DynamoDB stays throttled for longer than they last.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from handler.composition import aws_hub
from handler.platform.realtime.drivers.api_gateway import ApiGatewayWebSocketDriver
from handler.platform.settings import PlatformSettings
from tests.support.chat_endpoint import endpoint
from tests.support.connections_api import ConnectionsApi
from tests.support.events import LambdaContext, load_event
from tests.support.faults import refuse
from tests.support.websocket_api import (
    TABLE,
    connect,
    create_connections_table,
    dev_verifier,
    message,
    posted,
)

REGION = "eu-west-1"
THROTTLED = "ProvisionedThroughputExceededException"


@pytest.fixture
def api(
    connections_api: ConnectionsApi, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ConnectionsApi]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        create_connections_table()
        connections_api.reset(boto3.session.Session().get_credentials(), REGION)
        aws_hub.cache_clear()
        yield connections_api
        aws_hub.cache_clear()


@pytest.fixture
def settings(api: ConnectionsApi) -> PlatformSettings:
    return PlatformSettings(environment="test", connections_table=TABLE, ws_callback_url=api.url)


@pytest.fixture
def ws(settings: PlatformSettings) -> ApiGatewayWebSocketDriver:
    return ApiGatewayWebSocketDriver(endpoint, lambda: aws_hub(settings), verifier=dev_verifier())


@pytest.fixture
def table(settings: PlatformSettings) -> Any:
    """The DynamoDB client the hub's registry uses, to inject faults into."""
    return aws_hub(settings).registry.client  # type: ignore[attr-defined]


def call(ws: ApiGatewayWebSocketDriver, event: dict[str, Any]) -> dict[str, Any]:
    return ws(event, LambdaContext())


def rows() -> dict[str, dict[str, Any]]:
    items = boto3.client("dynamodb").scan(TableName=TABLE)["Items"]
    return {item["connectionId"]["S"]: item for item in items}


def error_of(answer: dict[str, Any]) -> str:
    return str(json.loads(answer["body"])["error"])


def test_a_throttled_connect_answers_503_and_stores_nothing(
    ws: ApiGatewayWebSocketDriver, table: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """PutItem throttled: the handshake is refused with 503 (API Gateway passes a $connect
    failure to the client as a refused handshake), no row is written, nothing is logged
    as a bug; the client's next attempt connects."""
    with refuse(table, "PutItem", THROTTLED) as fault:
        answer = call(ws, connect("conn-1", "1"))

    assert fault.hits == 1
    assert answer["statusCode"] == 503
    assert error_of(answer) == "unavailable"
    assert rows() == {}
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    assert call(ws, connect("conn-1", "1"))["statusCode"] == 200
    assert set(rows()) == {"conn-1"}


@pytest.mark.parametrize("operation", ["GetItem", "Scan"])
def test_a_message_the_table_cannot_route_is_refused_to_its_sender_and_sent_to_nobody(
    ws: ApiGatewayWebSocketDriver, table: Any, operation: str
) -> None:
    """GetItem (who sent it) or Scan (who receives it) throttled: no one gets part of a
    broadcast; the sender gets `{"error": "unavailable"}` (so it can send again, without
    duplicates) and the invocation answers 503."""
    call(ws, connect("conn-1", "1"))
    call(ws, connect("conn-2", "2"))

    with refuse(table, operation, THROTTLED) as fault:
        answer = call(ws, message("conn-1", "hello"))

    assert fault.hits == 1
    assert answer["statusCode"] == 503
    assert error_of(answer) == "unavailable"
    assert json.loads(posted("conn-1"))["error"] == "unavailable"
    assert posted("conn-2") == b""
    assert call(ws, message("conn-1", "hello"))["statusCode"] == 200
    assert posted("conn-2") == b"Client 1: hello"


def test_a_throttled_disconnect_leaves_the_row_for_the_next_410_to_delete(
    ws: ApiGatewayWebSocketDriver, table: Any, api: ConnectionsApi
) -> None:
    """UpdateItem (closing the row) throttled: 503, the row is untouched (not half
    closed); the socket is gone at API Gateway, so the next broadcast's 410 deletes it."""
    call(ws, connect("conn-1", "1"))
    call(ws, connect("conn-2", "2"))
    disconnect = load_event("ws_disconnect")
    disconnect["requestContext"]["connectionId"] = "conn-1"

    with refuse(table, "UpdateItem", THROTTLED):
        answer = call(ws, disconnect)
    api.gone.add("conn-1")

    assert answer["statusCode"] == 503
    assert "closedAt" not in rows()["conn-1"]
    assert call(ws, message("conn-2", "anyone?"))["statusCode"] == 200
    assert set(rows()) == {"conn-2"}
    assert posted("conn-2") == b"Client 2: anyone?"


# A GoneException storm: most targets of a broadcast gone at once.
TARGETS = 400
GONE_SHARE = 0.9
# The WebSocket function's timeout is 29 s; a broadcast must end well inside it. Here
# every call is loopback or in-process moto, on a shared 2-core machine: generous.
STORM_BUDGET = 15.0


def add_rows(ids: list[str]) -> None:
    client = boto3.client("dynamodb")
    now = time.time()
    for start in range(0, len(ids), 25):
        requests = [
            {
                "PutRequest": {
                    "Item": {
                        "connectionId": {"S": cid},
                        "clientId": {"S": str(n)},
                        "connectedAt": {"N": repr(now)},
                        "ttl": {"N": str(int(now) + 7200)},
                    }
                }
            }
            for n, cid in enumerate(ids[start : start + 25], start=start)
        ]
        client.batch_write_item(RequestItems={TABLE: requests})


def test_a_gone_storm_reaches_every_live_target_once_and_deletes_every_gone_row(
    ws: ApiGatewayWebSocketDriver, table: Any, api: ConnectionsApi, settings: PlatformSettings
) -> None:
    """90 % of 400 connections answer 410 at once, and 20 of their deletes are throttled
    on the way. The sender's message reaches each live connection exactly once, the
    broadcast ends within its budget, every gone row whose delete went through is gone;
    the 20 that stayed are deleted by the next broadcast (their 410 again), which no live
    connection sees twice."""
    ids = [f"conn-{n:03d}" for n in range(TARGETS)]
    add_rows(ids)
    gone = set(ids[: int(TARGETS * GONE_SHARE)])
    live = [cid for cid in ids if cid not in gone]
    api.gone |= gone
    sender = live[0]

    started = time.monotonic()
    with refuse(table, "DeleteItem", THROTTLED, times=20) as fault:
        answer = call(ws, message(sender, "storm"))
    elapsed = time.monotonic() - started

    assert answer["statusCode"] == 200
    assert elapsed < STORM_BUDGET
    assert fault.hits == 20
    sender_client = rows()[sender]["clientId"]["S"]
    assert all(posted(cid) == f"Client {sender_client}: storm".encode() for cid in live)
    assert all(posted(cid) == b"" for cid in gone)
    left = set(rows())
    assert len(left - set(live)) == 20, "only the throttled deletes left their rows"

    result = asyncio.run(aws_hub(settings).broadcast("after"))

    assert (result.sent, result.gone, result.failed) == (len(live), 20, 0)
    assert set(rows()) == set(live)
    assert all(posted(cid) == f"Client {sender_client}: storm".encode() + b"after" for cid in live)
