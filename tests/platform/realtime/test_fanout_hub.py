"""The fan-out hub: a broadcast reaches this process's sockets once and is forwarded once;
a broadcast heard from another process reaches this process's sockets and goes no
further; text too large is refused before anything leaves."""

from __future__ import annotations

import asyncio

import pytest

from handler.platform.realtime import Connection, FanoutHub, MessageRefused
from handler.platform.realtime.fanout import Fanout
from handler.platform.realtime.registries.memory import MemoryRegistry
from handler.platform.realtime.types import MAX_MESSAGE_BYTES
from tests.platform.realtime.test_hub import RecordingSender


class RecordingFanout(Fanout):
    def __init__(self) -> None:
        super().__init__()
        self.forwarded: list[tuple[str, str]] = []

    async def forward(self, channel: str, message: str) -> None:
        self.forwarded.append((channel, message))


def hub_of(*ids: str) -> tuple[FanoutHub, RecordingSender, RecordingFanout]:
    sender, fanout = RecordingSender(), RecordingFanout()
    hub = FanoutHub(MemoryRegistry(), sender, fanout=fanout, channel="chat")
    for connection_id in ids:
        asyncio.run(hub.join(Connection(connection_id, "alice", 0.0)))
    return hub, sender, fanout


def test_a_broadcast_reaches_local_sockets_once_and_is_forwarded_once() -> None:
    hub, sender, fanout = hub_of("a", "b")

    result = asyncio.run(hub.broadcast("hi"))

    assert result.sent == 2
    assert sender.received == {"a": ["hi"], "b": ["hi"]}
    assert fanout.forwarded == [("chat", "hi")]


def test_a_broadcast_heard_from_another_process_stays_here() -> None:
    _, sender, fanout = hub_of("a", "b")

    asyncio.run(fanout.deliver("chat", "from elsewhere"))

    assert sender.received == {"a": ["from elsewhere"], "b": ["from elsewhere"]}
    assert fanout.forwarded == []


def test_publishing_on_the_channel_is_a_broadcast() -> None:
    _, sender, fanout = hub_of("a")

    asyncio.run(fanout.publish("chat", "published"))

    assert sender.received == {"a": ["published"]}
    assert fanout.forwarded == [("chat", "published")]


def test_text_too_large_is_refused_before_anything_leaves() -> None:
    hub, sender, fanout = hub_of("a")

    with pytest.raises(MessageRefused):
        asyncio.run(hub.broadcast("x" * (MAX_MESSAGE_BYTES + 1)))

    assert sender.received == {}
    assert fanout.forwarded == []
