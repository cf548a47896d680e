"""Where `publish` goes: through the fan-out to every process's own subscriptions locally,
straight to the worker's publisher on AWS, nowhere (a warning) with neither."""

from __future__ import annotations

import asyncio
import logging

import pytest

from handler.platform.graphql_ws.memory_store import MemorySubscriptionStore
from handler.platform.graphql_ws.publisher import Publisher
from handler.platform.graphql_ws.publishing import (
    CHANNEL,
    FanoutPublishing,
    install_publishing,
    installed_publishing,
    publish,
)
from handler.platform.realtime import Hub
from handler.platform.realtime.fanout import InProcessFanout
from handler.platform.realtime.registries.memory import MemoryRegistry
from tests.platform.graphql_ws.test_publisher import Recorder, subscribe
from tests.support.counted_operations import CountedOperations

QUERY = "subscription { announcement { text } }"


def test_each_process_listening_on_the_fanout_serves_its_own_subscribers(
    operations: CountedOperations,
) -> None:
    """Two server processes, as two publishers on one fan-out: each hears the event once
    and sends to its own sockets only."""
    fanout = InProcessFanout()
    senders = [Recorder(), Recorder()]
    for n, sender in enumerate(senders):
        store = MemorySubscriptionStore()
        asyncio.run(subscribe(store, operations, f"process{n}-socket", QUERY))
        publisher = Publisher(store, lambda: operations, Hub(MemoryRegistry(), sender))
        fanout.listen(CHANNEL, publisher.deliver_message)

    with installed_publishing(FanoutPublishing(fanout)):
        asyncio.run(publish("announcement", {"text": "hi"}))

    assert [list(sender.sent) for sender in senders] == [["process0-socket"], ["process1-socket"]]
    assert operations.executions == 2  # once per process


def test_without_a_publisher_an_event_reaches_nobody_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # None for this block (a worker's init, run by another test, may have installed one).
    with installed_publishing(FanoutPublishing(InProcessFanout())):
        install_publishing(None)
        with caplog.at_level(logging.WARNING):
            asyncio.run(publish("announcement", {"text": "hi"}))
    assert "no publisher in this process" in caplog.text
