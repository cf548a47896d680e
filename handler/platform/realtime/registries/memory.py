"""In-memory connection registry: one process, no persistence (the local server)."""

from __future__ import annotations

import dataclasses

from handler.platform.realtime.ports import ConnectionRegistry
from handler.platform.realtime.types import Connection


class MemoryRegistry(ConnectionRegistry):
    """A dict guarded by the event loop: every method runs to completion without awaiting."""

    def __init__(self) -> None:
        self._connections: dict[str, Connection] = {}

    async def add(self, connection: Connection) -> None:
        self._connections[connection.connection_id] = connection

    async def remove(self, connection_id: str) -> None:
        self._connections.pop(connection_id, None)

    async def close(self, connection_id: str, *, now: float, keep_until: int) -> None:
        connection = self._connections.get(connection_id)
        if connection is not None:
            closed = dataclasses.replace(connection, closed_at=now, ttl=keep_until)
            self._connections[connection_id] = closed
        # No TTL sweeper here: rows past their ttl go when the next one closes.
        for expired in [c.connection_id for c in self._connections.values() if not c.live(now)]:
            del self._connections[expired]

    async def get(self, connection_id: str, *, now: float) -> Connection | None:
        connection = self._connections.get(connection_id)
        return connection if connection is not None and connection.live(now) else None

    async def live(self, *, now: float) -> list[Connection]:
        return [c for c in self._connections.values() if c.open and c.live(now)]
