"""The hub: send to one connection or broadcast to many, through the two ports.

A broadcast runs at most `concurrency` sends at once (a fixed set of worker coroutines
pulling from one list, so 10,000 targets never become 10,000 tasks). A gone target is
forgotten there and then (a failure to forget is logged); any other failure is logged and
counted, and the broadcast goes on: `send` never raises, so no worker ends early.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from enum import Enum

from handler.platform.realtime.ports import ConnectionRegistry, Sender
from handler.platform.realtime.types import (
    CLOSED_GRACE_SECONDS,
    BroadcastResult,
    Connection,
    ConnectionGone,
    RealtimeError,
    SendFailed,
    check_size,
)

logger = logging.getLogger(__name__)


class Delivery(Enum):
    SENT = "sent"
    GONE = "gone"
    FAILED = "failed"


class Hub:
    def __init__(
        self,
        registry: ConnectionRegistry,
        sender: Sender,
        *,
        concurrency: int = 64,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.registry = registry
        self.sender = sender
        self.concurrency = concurrency
        self.clock = clock

    async def join(self, connection: Connection) -> None:
        await self.registry.add(connection)

    async def leave(self, connection_id: str) -> None:
        """The socket closed: never a broadcast target again, but a message it sent just
        before closing still finds who sent it (`CLOSED_GRACE_SECONDS`)."""
        now = self.clock()
        keep_until = int(now + CLOSED_GRACE_SECONDS) + 1
        await self.registry.close(connection_id, now=now, keep_until=keep_until)

    async def connection(self, connection_id: str) -> Connection | None:
        """The connection, open or closed within its grace."""
        return await self.registry.get(connection_id, now=self.clock())

    async def connections(self) -> list[Connection]:
        return await self.registry.live(now=self.clock())

    async def send(self, connection_id: str, text: str) -> Delivery:
        """Deliver to one connection; a gone one is forgotten. Never raises a send error."""
        try:
            await self.sender.send(connection_id, text)
        except ConnectionGone:
            await self._forget(connection_id)
            return Delivery.GONE
        except SendFailed as exc:
            logger.warning("%s", exc)
            return Delivery.FAILED
        except Exception:
            # A bug in one send (an adapter letting a vendor error through) must not end
            # the broadcast for everyone else.
            logger.exception("unexpected error sending to %s", connection_id)
            return Delivery.FAILED
        return Delivery.SENT

    async def _forget(self, connection_id: str) -> None:
        logger.info("connection %s is gone; forgetting it", connection_id)
        # The target is gone either way. If its row cannot be deleted now, the next send
        # finds it gone again or its TTL ends it; the broadcast goes on (a throttled table
        # must not cancel every other send).
        try:
            await self.registry.remove(connection_id)
        except RealtimeError as exc:
            logger.warning("could not forget gone connection %s: %s", connection_id, exc)
        except Exception:
            logger.exception("could not forget gone connection %s", connection_id)

    async def broadcast(self, text: str) -> BroadcastResult:
        """Send `text` to every live connection. Text over API Gateway's 128 KB raises
        `MessageRefused("message_too_large")` before anything is read or sent."""
        check_size(text, "the message to send")
        return await self.send_many(await self.connections(), text)

    async def send_many(self, targets: Iterable[Connection], text: str) -> BroadcastResult:
        """Send `text` to each target, `concurrency` at a time (a room is just a target list).

        Raises `MessageRefused` for text too large to post (every target would fail)."""
        check_size(text, "the message to send")
        return await self.send_each((target.connection_id, text) for target in targets)

    async def send_each(self, messages: Iterable[tuple[str, str]]) -> BroadcastResult:
        """Send each (connection id, text), `concurrency` at a time: one text per target
        (GraphQL subscriptions: the same result under each subscriber's operation id).
        The caller checks the sizes."""
        result = BroadcastResult()
        batch = list(messages)
        pending: Iterator[tuple[str, str]] = iter(batch)

        async def worker() -> None:
            # Pulling from a shared iterator is safe: `next` never awaits.
            for connection_id, text in pending:
                outcome = await self.send(connection_id, text)
                if outcome is Delivery.SENT:
                    result.sent += 1
                elif outcome is Delivery.GONE:
                    result.gone += 1
                    result.gone_ids.append(connection_id)
                else:
                    result.failed += 1

        workers = [asyncio.create_task(worker()) for _ in range(min(self.concurrency, len(batch)))]
        try:
            await asyncio.gather(*workers)
        finally:
            for task in workers:
                task.cancel()
        if result.gone or result.failed:
            logger.info(
                "broadcast: %d sent, %d gone, %d failed", result.sent, result.gone, result.failed
            )
        return result
