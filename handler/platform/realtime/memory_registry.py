"""In-memory connection registry: one process, no persistence (the local server)."""

from __future__ import annotations

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

    async def get(self, connection_id: str, *, now: float) -> Connection | None:
        connection = self._connections.get(connection_id)
        return connection if connection is not None and connection.live(now) else None

    async def live(self, *, now: float) -> list[Connection]:
        return [c for c in self._connections.values() if c.live(now)]
