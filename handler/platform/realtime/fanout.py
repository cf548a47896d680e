"""Fan-out between the local server's processes: a message published on a channel reaches
every process's listeners of that channel, each once.

Locally each process holds its own sockets (and its own GraphQL subscriptions), so a
broadcast made in one process must be heard in all of them. `InProcessFanout` is the
single-process default: listeners are called directly. An adapter over Redis pub/sub
(`REDIS_URL` set) carries the same messages between processes. On AWS there is no fan-out:
connections live in DynamoDB and any function reaches them through @connections.

Listeners run on the publishing loop in process; a listener that raises is logged and
never stops the others.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

logger = logging.getLogger(__name__)

Listener = Callable[[str], Awaitable[None]]


class Fanout(ABC):
    """Publish a text message on a channel; every listener of it, in every process, is
    called once with it. Channel names are the app's (`chat`, `subscriptions`)."""

    def __init__(self) -> None:
        self._listeners: dict[str, list[Listener]] = {}

    def listen(self, channel: str, listener: Listener) -> None:
        """Call `listener` with every message published on `channel` from now on."""
        self._listeners.setdefault(channel, []).append(listener)

    @abstractmethod
    async def publish(self, channel: str, message: str) -> None:
        """Deliver `message` to the channel's listeners in every process."""

    async def deliver(self, channel: str, message: str) -> None:
        """Call this process's listeners of `channel` (what an adapter does on receipt)."""
        for listener in self._listeners.get(channel, ()):
            try:
                await listener(message)
            except Exception:
                logger.exception("fan-out listener of %r failed", channel)


class InProcessFanout(Fanout):
    """One process: publishing is delivering."""

    async def publish(self, channel: str, message: str) -> None:
        await self.deliver(channel, message)


_installed: Fanout | None = None


@contextmanager
def installed_fanout(fanout: Fanout) -> Iterator[Fanout]:
    """Make `fanout` this process's while the block runs (the app's lifespan)."""
    global _installed  # noqa: PLW0603 - one per process, like its sockets
    previous, _installed = _installed, fanout
    try:
        yield fanout
    finally:
        _installed = previous if _installed is fanout else _installed


def current_fanout() -> Fanout:
    """The installed fan-out; an in-process one (this call's own) when none is."""
    return _installed if _installed is not None else InProcessFanout()
