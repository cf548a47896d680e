"""One contract, both `SubscriptionStore` adapters: memory and DynamoDB (moto)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest

from handler.platform.graphql_ws.subscription_store import (
    DuplicateSubscription,
    Session,
    Subscription,
    SubscriptionStore,
    keys_for,
    topic_key,
)

NOW = time.time()


def sub(
    connection: str, operation: str, key: str = "userCreated", ttl: int | None = None
) -> Subscription:
    return Subscription(connection, operation, key, "subscription{userCreated{id}}", {}, ttl=ttl)


T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def test_a_session_is_initialised_once(store: SubscriptionStore) -> None:
    run(store.open(Session("c1", NOW)))
    session = run(store.session("c1", now=NOW))
    assert session is not None
    assert not session.initialised
    assert run(store.initialise("c1", "alice")) is True
    assert run(store.initialise("c1", "alice")) is False
    session = run(store.session("c1", now=NOW))
    assert session is not None
    assert session.initialised
    assert session.subject == "alice"
    assert run(store.initialise("unknown", None)) is False


def test_an_operation_id_is_taken_once_per_connection(store: SubscriptionStore) -> None:
    run(store.open(Session("c1", NOW)))  # the session row is not a subscription
    run(store.add(sub("c1", "1")))
    run(store.add(sub("c2", "1")))  # another connection: its own ids
    run(store.add(sub("c2", "2")))
    assert (run(store.count("c1")), run(store.count("c2")), run(store.count("c3"))) == (1, 2, 0)
    assert run(store.subscribed("c1", "1"))
    assert not run(store.subscribed("c1", "2"))
    with pytest.raises(DuplicateSubscription):
        run(store.add(sub("c1", "1")))


def test_subscriptions_are_found_by_their_topic_keys_only(store: SubscriptionStore) -> None:
    run(store.add(sub("c1", "1", topic_key("userChanged", {"id": 1}))))
    run(store.add(sub("c2", "1", topic_key("userChanged", {"id": 2}))))
    run(store.add(sub("c3", "1", "userCreated")))
    found = run(store.by_topic(keys_for("userChanged", {"id": 1}), now=NOW))
    assert [s.connection_id for s in found] == ["c1"]


def test_complete_and_drop_forget_subscriptions(store: SubscriptionStore) -> None:
    run(store.open(Session("c1", NOW)))
    run(store.add(sub("c1", "1")))
    run(store.add(sub("c1", "2")))
    run(store.add(sub("c2", "1")))
    run(store.remove("c1", "1"))
    run(store.remove("c1", "nope"))  # forgetting an unknown one is not an error
    assert sorted(s.operation_id for s in run(store.by_topic(["userCreated"], now=NOW))) == [
        "1",
        "2",
    ]
    run(store.drop("c1"))
    assert run(store.session("c1", now=NOW)) is None
    assert [s.connection_id for s in run(store.by_topic(["userCreated"], now=NOW))] == ["c2"]


def test_rows_past_their_ttl_are_never_read(store: SubscriptionStore) -> None:
    run(store.open(Session("c1", NOW - 10, ttl=int(NOW - 1))))
    run(store.add(sub("c1", "1", ttl=int(NOW - 1))))
    assert run(store.session("c1", now=NOW)) is None
    assert run(store.by_topic(["userCreated"], now=NOW)) == []


def test_variables_and_operation_name_round_trip(store: SubscriptionStore) -> None:
    stored = Subscription("c1", "x", "userCreated", "q", {"a": [1, {"b": None}]}, "Named")
    run(store.add(stored))
    [found] = run(store.by_topic(["userCreated"], now=NOW))
    assert found == stored


def test_keys_for_covers_every_subset_of_the_filters() -> None:
    assert keys_for("t", {}) == ["t"]
    assert keys_for("t", {"b": 2, "a": "x"}) == ["t", 't?a="x"', "t?b=2", 't?a="x"&b=2']
