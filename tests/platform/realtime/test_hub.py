"""The hub's contract, independent of any transport: bounded fan-out, gone targets
forgotten, other failures counted, never an aborted broadcast."""

from __future__ import annotations

import asyncio

import boto3
import pytest
from botocore.stub import Stubber

from handler.platform.realtime import (
    Connection,
    ConnectionGone,
    Delivery,
    Dispatcher,
    Hub,
    MessageRefused,
    Sender,
    SendFailed,
)
from handler.platform.realtime.endpoint import check_message
from handler.platform.realtime.registries.dynamodb import DynamoDBRegistry, RegistryError
from handler.platform.realtime.registries.memory import MemoryRegistry
from handler.platform.realtime.types import CLOSED_GRACE_SECONDS, MAX_MESSAGE_BYTES
from tests.support import chat_endpoint as chat


class RecordingSender(Sender):
    """Delivers into a dict after a short pause; some ids are gone, some fail, one is a bug."""

    def __init__(
        self, *, gone: frozenset[str] = frozenset(), failing: frozenset[str] = frozenset()
    ) -> None:
        self.gone, self.failing = gone, failing
        self.received: dict[str, list[str]] = {}
        self.in_flight = 0
        self.peak = 0

    async def send(self, connection_id: str, text: str) -> None:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(0.001)
            if connection_id in self.gone:
                raise ConnectionGone(connection_id)
            if connection_id in self.failing:
                raise SendFailed(connection_id, "throttled")
            if connection_id == "bug":
                raise KeyError("an adapter bug")
            self.received.setdefault(connection_id, []).append(text)
        finally:
            self.in_flight -= 1


def hub_with(ids: list[str], sender: RecordingSender, concurrency: int = 4) -> Hub:
    hub = Hub(MemoryRegistry(), sender, concurrency=concurrency)
    for cid in ids:
        asyncio.run(hub.join(Connection(cid, "1", 0.0)))
    return hub


def test_broadcast_never_runs_more_sends_than_the_bound() -> None:
    sender = RecordingSender()
    hub = hub_with([f"c{i}" for i in range(50)], sender, concurrency=4)

    result = asyncio.run(hub.broadcast("hi"))

    assert result.sent == 50
    assert sender.peak == 4
    assert all(texts == ["hi"] for texts in sender.received.values())


def test_gone_targets_are_forgotten_and_failures_counted_without_aborting() -> None:
    sender = RecordingSender(gone=frozenset({"c1", "c3"}), failing=frozenset({"c2"}))
    hub = hub_with(["c0", "c1", "c2", "c3", "bug", "c5"], sender)

    result = asyncio.run(hub.broadcast("hi"))

    assert (result.sent, result.gone, result.failed) == (2, 2, 2)
    assert sorted(result.gone_ids) == ["c1", "c3"]
    assert sorted(c.connection_id for c in asyncio.run(hub.connections())) == [
        "bug",
        "c0",
        "c2",
        "c5",
    ]


def test_send_to_one_reports_its_delivery() -> None:
    sender = RecordingSender(gone=frozenset({"old"}))
    hub = hub_with(["new", "old"], sender)

    assert asyncio.run(hub.send("new", "x")) is Delivery.SENT
    assert asyncio.run(hub.send("old", "x")) is Delivery.GONE
    assert asyncio.run(hub.connection("old")) is None


def test_a_message_read_after_its_socket_was_forgotten_still_reaches_the_others() -> None:
    """A client sends, then closes; a broadcast finds the socket closed and forgets the
    row before the server reads that last message. The local driver passes the connection
    it holds, so the message still goes out (it is refused only without one: API Gateway)."""
    sender = RecordingSender()
    hub = hub_with(["leaving", "staying"], sender)
    leaving = asyncio.run(hub.connection("leaving"))
    asyncio.run(hub.registry.remove("leaving"))  # what a send that found the socket gone does
    dispatcher = Dispatcher(chat.endpoint, hub)

    asyncio.run(dispatcher.receive("leaving", "bye", held=leaving))

    assert sender.received == {"staying": ["Client 1: bye"]}
    with pytest.raises(MessageRefused) as refused:
        asyncio.run(dispatcher.receive("leaving", "bye again"))
    assert refused.value.code == "unknown_connection"


def test_a_message_that_arrives_after_its_disconnect_is_delivered() -> None:
    """API Gateway may run a connection's `$disconnect` before its last `$default`: the
    closed row still names the sender for a grace period, and is no broadcast target."""
    now = [1000.0]
    sender = RecordingSender()
    hub = Hub(MemoryRegistry(), sender, clock=lambda: now[0])
    for n, connection_id in enumerate(["leaving", "staying"], start=1):
        asyncio.run(hub.join(Connection(connection_id, str(n), 0.0)))
    dispatcher = Dispatcher(chat.endpoint, hub)

    asyncio.run(dispatcher.disconnect("leaving"))
    asyncio.run(dispatcher.receive("leaving", "bye"))  # no `held`: the API Gateway path

    assert sender.received == {"staying": ["Client 1: bye"]}
    assert [c.connection_id for c in asyncio.run(hub.connections())] == ["staying"]
    now[0] += CLOSED_GRACE_SECONDS + 2
    with pytest.raises(MessageRefused) as refused:
        asyncio.run(dispatcher.receive("leaving", "too late"))
    assert refused.value.code == "unknown_connection"


def test_connections_past_their_ttl_are_not_live() -> None:
    hub = Hub(MemoryRegistry(), RecordingSender(), clock=lambda: 1000.0)
    asyncio.run(hub.join(Connection("expired", "1", 0.0, ttl=999)))
    asyncio.run(hub.join(Connection("fresh", "2", 0.0, ttl=1001)))
    asyncio.run(hub.join(Connection("local", "3", 0.0, ttl=None)))

    live = {c.connection_id for c in asyncio.run(hub.connections())}

    assert live == {"fresh", "local"}
    assert asyncio.run(hub.connection("expired")) is None


def test_concurrency_must_be_positive() -> None:
    with pytest.raises(ValueError, match="concurrency"):
        Hub(MemoryRegistry(), RecordingSender(), concurrency=0)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("a" * (MAX_MESSAGE_BYTES + 1), "message_too_large"),
        ("€" * (MAX_MESSAGE_BYTES // 3 + 1), "message_too_large"),  # bytes, not characters
        (b"raw", "binary_not_supported"),
        ("", "empty_message"),
        (None, "empty_message"),
    ],
)
def test_unacceptable_messages_are_refused_with_a_code(body: str | bytes | None, code: str) -> None:
    with pytest.raises(MessageRefused) as caught:
        check_message(body)
    assert caught.value.code == code


def test_message_of_exactly_the_limit_is_accepted() -> None:
    assert check_message("a" * MAX_MESSAGE_BYTES) == "a" * MAX_MESSAGE_BYTES


class ForgetfulRegistry(MemoryRegistry):
    """A registry whose deletes fail: DynamoDB throttling, or a bug in an adapter."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    async def remove(self, connection_id: str) -> None:
        raise self.error


@pytest.mark.parametrize("error", [RegistryError("throttled"), KeyError("an adapter bug")])
def test_a_delete_that_fails_neither_aborts_the_broadcast_nor_hides_the_gone_target(
    error: Exception,
) -> None:
    sender = RecordingSender(gone=frozenset({"gone"}))
    hub = Hub(ForgetfulRegistry(error), sender, concurrency=2)
    for cid in ["gone", *(f"c{i}" for i in range(10))]:
        asyncio.run(hub.join(Connection(cid, "1", 0.0)))

    result = asyncio.run(hub.broadcast("hi"))

    assert (result.sent, result.gone, result.failed) == (10, 1, 0)
    assert result.gone_ids == ["gone"]
    assert sorted(sender.received) == [f"c{i}" for i in range(10)]


def test_a_throttled_dynamodb_delete_does_not_abort_the_broadcast() -> None:
    client = boto3.client(
        "dynamodb",
        region_name="eu-west-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    ids = ["gone", "c1", "c2", "c3"]
    items = [{"connectionId": {"S": cid}, "clientId": {"S": "1"}} for cid in ids]
    sender = RecordingSender(gone=frozenset({"gone"}))
    hub = Hub(DynamoDBRegistry("connections", client=client), sender, concurrency=2)
    with Stubber(client) as stubber:
        stubber.add_response("scan", {"Items": items})
        stubber.add_client_error(
            "delete_item",
            service_error_code="ProvisionedThroughputExceededException",
            http_status_code=400,
        )

        result = asyncio.run(hub.broadcast("hi"))

        stubber.assert_no_pending_responses()
    assert (result.sent, result.gone, result.failed) == (3, 1, 0)
    assert sorted(sender.received) == ["c1", "c2", "c3"]


def test_broadcast_refuses_text_too_large_to_post_before_any_send() -> None:
    sender = RecordingSender()
    hub = hub_with(["c0", "c1"], sender)

    with pytest.raises(MessageRefused) as caught:
        asyncio.run(hub.broadcast("a" * (MAX_MESSAGE_BYTES + 1)))

    assert (caught.value.code, caught.value.status_code) == ("message_too_large", 413)
    assert sender.received == {}
    with pytest.raises(MessageRefused):
        asyncio.run(
            hub.send_many(asyncio.run(hub.connections()), "€" * (MAX_MESSAGE_BYTES // 3 + 1))
        )
    assert asyncio.run(hub.broadcast("a" * MAX_MESSAGE_BYTES)).sent == 2
