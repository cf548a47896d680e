"""In-memory sessions and subscriptions: one process (the local server, tests)."""

from __future__ import annotations

import dataclasses

from handler.platform.graphql_ws.subscription_store import (
    DuplicateSubscription,
    Session,
    Subscription,
    SubscriptionStore,
)


class MemorySubscriptionStore(SubscriptionStore):
    """Dicts guarded by the event loop: no method awaits while it changes them."""

    def __init__(self) -> None:
        self._sessions: dict[str, Session] = {}
        self._subscriptions: dict[tuple[str, str], Subscription] = {}
        self._by_topic: dict[str, dict[tuple[str, str], Subscription]] = {}

    async def open(self, session: Session) -> None:
        self._sessions[session.connection_id] = session

    async def session(self, connection_id: str, *, now: float) -> Session | None:
        session = self._sessions.get(connection_id)
        return session if session is not None and _live(session.ttl, now) else None

    async def initialise(self, connection_id: str, subject: str | None) -> bool:
        session = self._sessions.get(connection_id)
        if session is None or session.initialised:
            return False
        self._sessions[connection_id] = dataclasses.replace(
            session, initialised=True, subject=subject
        )
        return True

    async def subscribed(self, connection_id: str, operation_id: str) -> bool:
        return (connection_id, operation_id) in self._subscriptions

    async def count(self, connection_id: str) -> int:
        return sum(1 for key in self._subscriptions if key[0] == connection_id)

    async def add(self, subscription: Subscription) -> None:
        key = (subscription.connection_id, subscription.operation_id)
        if key in self._subscriptions:
            raise DuplicateSubscription(subscription.operation_id)
        self._subscriptions[key] = subscription
        self._by_topic.setdefault(subscription.topic_key, {})[key] = subscription

    async def remove(self, connection_id: str, operation_id: str) -> None:
        subscription = self._subscriptions.pop((connection_id, operation_id), None)
        if subscription is not None:
            listeners = self._by_topic.get(subscription.topic_key, {})
            listeners.pop((connection_id, operation_id), None)
            if not listeners:
                self._by_topic.pop(subscription.topic_key, None)

    async def drop(self, connection_id: str) -> None:
        self._sessions.pop(connection_id, None)
        for key in [key for key in self._subscriptions if key[0] == connection_id]:
            await self.remove(*key)

    async def by_topic(self, keys: list[str], *, now: float) -> list[Subscription]:
        return [
            subscription
            for key in keys
            for subscription in self._by_topic.get(key, {}).values()
            if _live(subscription.ttl, now)
        ]


def _live(ttl: int | None, now: float) -> bool:
    return ttl is None or ttl > now
