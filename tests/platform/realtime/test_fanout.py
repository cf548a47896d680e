"""The in-process fan-out: every listener of a channel hears each message once, other
channels hear nothing, and a failing listener does not stop the rest."""

from __future__ import annotations

import asyncio

import pytest

from handler.platform.realtime.fanout import InProcessFanout


def test_each_listener_of_the_channel_hears_each_message_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fanout = InProcessFanout()
    heard: list[tuple[str, str]] = []

    async def first(message: str) -> None:
        heard.append(("first", message))

    async def broken(message: str) -> None:
        raise RuntimeError("listener bug")

    async def last(message: str) -> None:
        heard.append(("last", message))

    async def other(message: str) -> None:
        heard.append(("other", message))

    fanout.listen("chat", first)
    fanout.listen("chat", broken)
    fanout.listen("chat", last)
    fanout.listen("subscriptions", other)

    async def run() -> None:
        await fanout.publish("chat", "hello")
        await fanout.publish("nobody-listens", "lost")

    asyncio.run(run())
    assert heard == [("first", "hello"), ("last", "hello")]
    assert "fan-out listener of 'chat' failed" in caplog.text
