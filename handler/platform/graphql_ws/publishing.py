"""`publish(topic, payload, filters)`: an event to the subscriptions, from a task.

Call it from a task (`publish_subscription_event` queues one): on AWS the HTTP function
sits in the VPC and cannot reach @connections, the worker can. What it does is what the
composition root installed for this process:

- the local server: the event goes out on the fan-out channel `subscriptions`, and every
  server process delivers it to its own sockets' subscriptions (`FanoutPublishing`);
- the worker (SUBSCRIPTIONS_TABLE set): the `Publisher` over DynamoDB and @connections.

A process with neither logs a warning and reaches nobody.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

from handler.platform.graphql_ws.publisher import encode_event
from handler.platform.runtime.process_slot import ProcessSlot

if TYPE_CHECKING:
    from handler.platform.realtime.fanout import Fanout

logger = logging.getLogger(__name__)

CHANNEL = "subscriptions"


class Publishing(Protocol):
    async def deliver(
        self, topic: str, payload: Mapping[str, Any], filters: Mapping[str, Any] | None = None
    ) -> Any: ...


class FanoutPublishing:
    """Local: publish on the fan-out; each process's listener (`Publisher.deliver_message`)
    delivers to its own subscriptions."""

    def __init__(self, fanout: Fanout) -> None:
        self.fanout = fanout

    async def deliver(
        self, topic: str, payload: Mapping[str, Any], filters: Mapping[str, Any] | None = None
    ) -> None:
        await self.fanout.publish(CHANNEL, encode_event(topic, payload, filters or {}))


# One per process, like the hub.
_publishing: ProcessSlot[Publishing] = ProcessSlot()


def installed_publishing(publishing: Publishing) -> AbstractContextManager[Publishing]:
    """Make `publishing` the one `publish` uses while the block runs (the app's lifespan)."""
    return _publishing.installed(publishing)


def install_publishing(publishing: Publishing | None) -> None:
    """From now on (a Lambda function's init); None leaves the process without one."""
    _publishing.set(publishing)


async def publish(
    topic: str, payload: Mapping[str, Any], filters: Mapping[str, Any] | None = None
) -> None:
    publishing = _publishing.value
    if publishing is None:
        logger.warning("subscription event %s with no publisher in this process", topic)
        return
    outcome = await publishing.deliver(topic, payload, filters)
    if outcome is not None:
        logger.info("subscription event %s: %s", topic, outcome)
