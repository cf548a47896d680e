"""`FanoutHub`: the local server's hub when several processes serve one app. A broadcast
reaches this process's sockets directly and every other process's through a fan-out
channel, where each process's hub broadcasts what it hears to its own sockets."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from handler.platform.realtime.fanout import Fanout
from handler.platform.realtime.hub import Hub
from handler.platform.realtime.ports import ConnectionRegistry, Sender
from handler.platform.realtime.types import BroadcastResult, Connection, check_size


class FanoutHub(Hub):
    """A hub of this process's sockets whose broadcasts reach every process's sockets.

    `broadcast` returns this process's result only (the others' sends are theirs); it
    reads its targets before anything is sent anywhere, so a failing registry sends
    nothing. `send` to one connection stays in this process: a socket is served by the
    process that accepted it. `fanout.publish(channel, text)` from anywhere reaches the
    sockets as a broadcast does, once this process has a socket."""

    def __init__(
        self,
        registry: ConnectionRegistry,
        sender: Sender,
        *,
        fanout: Fanout,
        channel: str = "chat",
        concurrency: int = 64,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(registry, sender, concurrency=concurrency, clock=clock)
        self.fanout = fanout
        self.channel = channel
        self._listening = False

    async def join(self, connection: Connection) -> None:
        """Join; the first connection starts listening to the other processes (a process
        without sockets has nothing to hear), and is let in once they can be heard."""
        if not self._listening:
            self._listening = True
            self.fanout.listen(self.channel, self._heard)
        await self.fanout.ready()
        await super().join(connection)

    async def broadcast(self, text: str) -> BroadcastResult:
        check_size(text, "the message to send")
        targets = await self.connections()
        result, _ = await asyncio.gather(
            self.send_many(targets, text), self.fanout.forward(self.channel, text)
        )
        return result

    async def _heard(self, text: str) -> None:
        """A broadcast published elsewhere: this process's sockets only."""
        await super().broadcast(text)
