"""Fan-out between the local server's processes: a message published on a channel reaches
every process's listeners of that channel, each once.

Locally each process holds its own sockets (and its own GraphQL subscriptions), so a
broadcast made in one process must be heard in all of them. `InProcessFanout` is the
single-process default: listeners are called directly. `RedisFanout`
(`handler.platform.realtime.fanout_redis`, with `REDIS_URL`) carries the same messages
between processes. On AWS there is no fan-out: connections live in DynamoDB and any
function reaches them through @connections.

`publish` delivers to this process's listeners itself and `forward`s to the others, so
this process hears its own message exactly once whether or not the others can be
reached. Listeners run on the publishing loop; a listener that raises is logged and never
stops the others.

One fan-out per process is current (`current_fanout()`): the app's lifespan installs its
own (`install_fanout`); code outside any request (a task, the GraphQL subscriptions)
publishes and listens through it.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager

from handler.platform.runtime.process_slot import ProcessSlot

logger = logging.getLogger(__name__)

Listener = Callable[[str], Awaitable[None]]


class Fanout(ABC):
    """Publish a text message on a channel; every listener of it, in every process, is
    called once with it. Channel names are the app's (`chat`, `subscriptions`)."""

    def __init__(self) -> None:
        self._listeners: dict[str, list[Listener]] = {}

    def listen(self, channel: str, listener: Listener) -> None:
        """Call `listener` with every message published on `channel` from now on (from
        other processes: once `ready()` has returned)."""
        self._listeners.setdefault(channel, []).append(listener)

    async def ready(self) -> None:
        """Return once messages from other processes reach this process's listeners (an
        adapter's subscription is confirmed, or known to be down); nothing to wait for
        in one process."""
        return None

    async def publish(self, channel: str, message: str) -> None:
        """Deliver `message` to the channel's listeners in every process: this one's now,
        the others' through `forward`. Never raises for a failed forward (it is logged)."""
        await asyncio.gather(self.deliver(channel, message), self.forward(channel, message))

    @abstractmethod
    async def forward(self, channel: str, message: str) -> None:
        """Carry `message` to the other processes' listeners, never back to this one's.
        A message that cannot be carried is lost for them, logged, and not raised."""

    async def deliver(self, channel: str, message: str) -> None:
        """Call this process's listeners of `channel` (what an adapter does on receipt)."""
        for listener in self._listeners.get(channel, ()):
            try:
                await listener(message)
            except Exception:
                logger.exception("fan-out listener of %r failed", channel)


class InProcessFanout(Fanout):
    """One process: publishing is delivering; there is nobody to forward to."""

    async def forward(self, channel: str, message: str) -> None:
        return None


# One fan-out per process, like its sockets.
_fanout: ProcessSlot[Fanout] = ProcessSlot()
_default: Fanout | None = None


def install_fanout(fanout: Fanout | None) -> None:
    """Make `fanout` the process's current one (the app's lifespan); None goes back to the
    process default."""
    _fanout.set(fanout)


def installed_fanout(fanout: Fanout) -> AbstractContextManager[Fanout]:
    """Make `fanout` the current one while the block runs (the app's lifespan), then put
    back the one before it."""
    return _fanout.installed(fanout)


def current_fanout() -> Fanout:
    """The installed fan-out, or the process's default `InProcessFanout`."""
    global _default  # noqa: PLW0603
    if _fanout.value is not None:
        return _fanout.value
    if _default is None:
        _default = InProcessFanout()
    return _default
