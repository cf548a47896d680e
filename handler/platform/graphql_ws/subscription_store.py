"""Where sessions and subscriptions are kept: the `SubscriptionStore` port.

A session is one graphql-transport-ws socket: when it connected, whether it was
initialised (`connection_init` taken: a second one is 4429), who it is. A subscription
is one `subscribe` the server holds: its connection and operation id, the topic key it
listens on, and what to execute (the normalised query, its variables, the operation's
name). Nothing waits on a subscription: a publish finds it by topic key and executes it.

Topic keys: a subscription's topic is its root field's name (`userChanged`), and its
arguments are filters. The key is the topic with the filter values the subscriber gave,
in name order (`userChanged?id=1`), so a publish reads only the subscriptions whose
filters match the event (`keys_for`): one that does not match costs nothing.
"""

from __future__ import annotations

import itertools
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# More filters than this on one subscription field: too many keys per publish (2^n).
MAX_FILTERS = 3


@dataclass(frozen=True)
class Session:
    connection_id: str
    connected_at: float
    initialised: bool = False
    subject: str | None = None
    ttl: int | None = None


@dataclass(frozen=True)
class Subscription:
    connection_id: str
    operation_id: str
    topic_key: str
    query: str
    variables: Mapping[str, Any]
    operation_name: str | None = None
    ttl: int | None = None

    @property
    def execution_key(self) -> tuple[str, str | None, str]:
        """Subscriptions with equal keys get the same result for an event."""
        return self.query, self.operation_name, canonical(self.variables)


class DuplicateSubscription(Exception):
    """The connection already has a subscription with this operation id."""


class StoreError(Exception):
    """The store could not be read or written (throttled, unreachable)."""


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def topic_key(topic: str, filters: Mapping[str, Any]) -> str:
    if not filters:
        return topic
    return topic + "?" + "&".join(f"{name}={canonical(filters[name])}" for name in sorted(filters))


def keys_for(topic: str, filters: Mapping[str, Any]) -> list[str]:
    """Every key a subscription matching this event can be stored under: each subset of
    the event's filter values (a subscriber may leave an optional filter out)."""
    names = sorted(filters)[:MAX_FILTERS]
    return [
        topic_key(topic, {name: filters[name] for name in chosen})
        for size in range(len(names) + 1)
        for chosen in itertools.combinations(names, size)
    ]


class SubscriptionStore(ABC):
    """Sessions and subscriptions. Adapters: memory (one process), DynamoDB (a fleet).

    Reads skip rows past their `ttl` (DynamoDB deletes expired items lazily)."""

    @abstractmethod
    async def open(self, session: Session) -> None: ...

    @abstractmethod
    async def session(self, connection_id: str, *, now: float) -> Session | None: ...

    @abstractmethod
    async def initialise(self, connection_id: str, subject: str | None) -> bool:
        """Mark the session initialised; False when it already was (or is unknown)."""

    @abstractmethod
    async def subscribed(self, connection_id: str, operation_id: str) -> bool: ...

    @abstractmethod
    async def count(self, connection_id: str) -> int:
        """How many subscriptions the connection holds."""

    @abstractmethod
    async def add(self, subscription: Subscription) -> None:
        """Raises `DuplicateSubscription` when the operation id is taken."""

    @abstractmethod
    async def remove(self, connection_id: str, operation_id: str) -> None: ...

    @abstractmethod
    async def drop(self, connection_id: str) -> None:
        """Forget the session and every subscription of the connection."""

    @abstractmethod
    async def by_topic(self, keys: list[str], *, now: float) -> list[Subscription]:
        """Every live subscription stored under any of `keys`."""
