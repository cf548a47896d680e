"""The publish path on both stores: the topic's subscriptions found by key, each distinct
operation executed once per event, `next` sent to each subscriber, gone ones dropped."""

from __future__ import annotations

import asyncio
import json
import time

from handler.platform.graphql_ws.operations import Prepared
from handler.platform.graphql_ws.publisher import Publisher
from handler.platform.graphql_ws.subscription_store import (
    Session,
    Subscription,
    SubscriptionStore,
    topic_key,
)
from handler.platform.realtime import Hub, Sender
from handler.platform.realtime.registries.memory import MemoryRegistry
from handler.platform.realtime.types import ConnectionGone
from tests.support.counted_operations import CountedOperations


class Recorder(Sender):
    def __init__(self, gone: set[str] | None = None) -> None:
        self.sent: dict[str, list[dict[str, object]]] = {}
        self.gone = gone or set()

    async def send(self, connection_id: str, text: str) -> None:
        if connection_id in self.gone:
            raise ConnectionGone(connection_id)
        self.sent.setdefault(connection_id, []).append(json.loads(text))


async def subscribe(
    store: SubscriptionStore,
    operations: CountedOperations,
    connection: str,
    query: str,
    variables: dict[str, object] | None = None,
    *,
    operation_id: str = "1",
) -> None:
    prepared = operations.prepare(query, variables or {}, None)
    assert isinstance(prepared, Prepared), prepared
    await store.open(Session(connection, time.time()))
    key = topic_key(prepared.topic, prepared.filters)
    await store.add(Subscription(connection, operation_id, key, prepared.query, prepared.variables))


USER = {"id": 1, "name": "Patrick", "age": 100, "version": 2}


def test_identical_subscriptions_are_executed_once_per_event(
    store: SubscriptionStore, operations: CountedOperations
) -> None:
    sender = Recorder()
    publisher = Publisher(store, lambda: operations, Hub(MemoryRegistry(), sender))

    async def scenario() -> None:
        for n in range(20):
            # The same operation, however it is spaced, is one execution.
            query = "subscription { userCreated { id name } }" if n % 2 else (
                "subscription {\n  userCreated {\n id\n name } }"
            )  # fmt: skip
            await subscribe(store, operations, f"c{n}", query, operation_id=f"op{n}")
        outcome = await publisher.deliver("userCreated", USER)
        assert (outcome.subscriptions, outcome.executions, outcome.sent) == (20, 1, 20)

    asyncio.run(scenario())
    assert operations.executions == 1
    data = {"userCreated": {"id": 1, "name": "Patrick"}}
    assert sender.sent["c3"] == [{"id": "op3", "type": "next", "payload": {"data": data}}]


def test_filters_pick_the_subscribers_before_any_execution(
    store: SubscriptionStore, operations: CountedOperations
) -> None:
    sender = Recorder()
    publisher = Publisher(store, lambda: operations, Hub(MemoryRegistry(), sender))
    query = "subscription($id: Int!) { userChanged(id: $id) { id version } }"

    async def scenario() -> None:
        await subscribe(store, operations, "one", query, {"id": 1})
        await subscribe(store, operations, "two", query, {"id": 2})
        await subscribe(store, operations, "literal", "subscription { userChanged(id: 1) { id } }")
        outcome = await publisher.deliver("userChanged", USER, {"id": 1})
        assert (outcome.subscriptions, outcome.executions) == (2, 2)

    asyncio.run(scenario())
    assert set(sender.sent) == {"one", "literal"}
    assert sender.sent["one"][0]["payload"] == {"data": {"userChanged": {"id": 1, "version": 2}}}


def test_distinct_variables_are_executed_each(
    store: SubscriptionStore, operations: CountedOperations
) -> None:
    publisher = Publisher(store, lambda: operations, Hub(MemoryRegistry(), Recorder()))
    query = "subscription($skip: Boolean!) { userCreated { id name @skip(if: $skip) } }"

    async def scenario() -> None:
        await subscribe(store, operations, "a", query, {"skip": True})
        await subscribe(store, operations, "b", query, {"skip": False})
        await subscribe(store, operations, "c", query, {"skip": False})
        outcome = await publisher.deliver("userCreated", USER)
        assert (outcome.executions, outcome.sent) == (2, 3)

    asyncio.run(scenario())
    assert operations.executions == 2


def test_a_gone_connection_loses_its_subscriptions(
    store: SubscriptionStore, operations: CountedOperations
) -> None:
    sender = Recorder(gone={"gone"})
    publisher = Publisher(store, lambda: operations, Hub(MemoryRegistry(), sender))
    query = "subscription { announcement { text } }"

    async def scenario() -> None:
        await subscribe(store, operations, "gone", query)
        await subscribe(store, operations, "here", query)
        outcome = await publisher.deliver("announcement", {"text": "hi"})
        assert (outcome.sent, outcome.gone) == (1, 1)
        left = await store.by_topic(["announcement"], now=time.time())
        assert [s.connection_id for s in left] == ["here"]
        assert await store.session("gone", now=time.time()) is None

    asyncio.run(scenario())


def test_an_event_nobody_subscribed_to_executes_nothing(
    store: SubscriptionStore, operations: CountedOperations
) -> None:
    publisher = Publisher(store, lambda: operations, Hub(MemoryRegistry(), Recorder()))
    outcome = asyncio.run(publisher.deliver("userCreated", USER))
    assert (outcome.subscriptions, outcome.executions) == (0, 0)


def test_an_operation_that_cannot_run_costs_the_others_nothing(
    store: SubscriptionStore, operations: CountedOperations
) -> None:
    sender = Recorder()
    publisher = Publisher(store, lambda: operations, Hub(MemoryRegistry(), sender))

    async def scenario() -> None:
        # Stored by an older schema, say: it no longer parses.
        await store.add(Subscription("old", "1", "announcement", "subscription {", {}))
        await subscribe(store, operations, "new", "subscription { announcement { text } }")
        outcome = await publisher.deliver("announcement", {"text": "hi"})
        assert (outcome.sent, outcome.failed) == (1, 1)

    asyncio.run(scenario())
    assert set(sender.sent) == {"new"}
