"""One event to every subscription of its topic, each distinct operation executed once.

`Publisher.deliver(topic, payload, filters)`:
1. reads the subscriptions stored under the event's topic keys (`keys_for`: the filters
   picked them, so a subscriber to `userChanged(id: 2)` is never read for user 1);
2. groups them by (query, operation name, variables) and executes each group once;
3. sends each subscriber `next` with its own operation id, through the hub's concurrent
   sender (`Hub.send_each`);
4. drops every subscription of a connection found gone.

A result over 128 KB cannot be posted: its group is skipped, logged, counted as failed.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from handler.platform.graphql_ws.messages import next_text
from handler.platform.graphql_ws.subscription_store import Subscription, SubscriptionStore, keys_for
from handler.platform.realtime.types import MAX_MESSAGE_BYTES

if TYPE_CHECKING:
    from handler.platform.graphql_ws.operations import Operations
    from handler.platform.realtime.hub import Hub

logger = logging.getLogger(__name__)


@dataclass
class Published:
    """How one event went: subscriptions found, executions run, posts sent, gone, failed."""

    subscriptions: int = 0
    executions: int = 0
    sent: int = 0
    gone: int = 0
    failed: int = 0


class Publisher:
    def __init__(
        self,
        store: SubscriptionStore,
        operations: Callable[[], Operations],
        hub: Hub,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.operations = operations
        self.hub = hub
        self.clock = clock

    async def deliver(
        self, topic: str, payload: Mapping[str, Any], filters: Mapping[str, Any] | None = None
    ) -> Published:
        found = await self.store.by_topic(keys_for(topic, filters or {}), now=self.clock())
        outcome = Published(subscriptions=len(found))
        if not found:
            return outcome
        groups: dict[tuple[str, str | None, str], list[Subscription]] = {}
        for subscription in found:
            groups.setdefault(subscription.execution_key, []).append(subscription)
        operations = self.operations()
        outgoing: list[tuple[str, str]] = []
        for members in groups.values():
            first = members[0]
            try:
                result = await operations.execute(
                    first.query, first.variables, first.operation_name, payload
                )
            except Exception:  # one broken operation must not cost the others their event
                logger.exception("subscription on %s could not be executed", topic)
                outcome.failed += len(members)
                continue
            outcome.executions += 1
            encoded = json.dumps(result, separators=(",", ":"), default=str)
            if len(encoded.encode()) + 200 > MAX_MESSAGE_BYTES:
                logger.warning("subscription result over 128 KB for %s: not sent", topic)
                outcome.failed += len(members)
                continue
            outgoing.extend(
                (member.connection_id, next_text(member.operation_id, encoded))
                for member in members
            )
        sent = await self.hub.send_each(outgoing)
        outcome.sent, outcome.gone, outcome.failed = (
            sent.sent,
            sent.gone,
            outcome.failed + sent.failed,
        )
        for connection_id in set(sent.gone_ids):
            try:
                await self.store.drop(connection_id)
            except Exception:  # the TTL ends it; the other subscribers were served
                logger.exception("could not drop gone connection %s", connection_id)
        return outcome

    async def deliver_message(self, message: str) -> None:
        """A fan-out message (`encode_event`) delivered to this process's subscriptions."""
        data = json.loads(message)
        await self.deliver(data["topic"], data["payload"], data.get("filters"))


def encode_event(topic: str, payload: Mapping[str, Any], filters: Mapping[str, Any]) -> str:
    return json.dumps({"topic": topic, "payload": payload, "filters": filters})
