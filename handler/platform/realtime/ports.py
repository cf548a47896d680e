"""The two ports a hub needs: where connections are recorded, and how text reaches them."""

from __future__ import annotations

from abc import ABC, abstractmethod

from handler.platform.realtime.types import Connection, SendFailed


class ConnectionRegistry(ABC):
    """Records connections. Adapters: in-memory (one process), DynamoDB (a fleet).

    Reads never return a connection past its `ttl`, even if storage still holds it
    (DynamoDB deletes expired items lazily, up to days later). A closed connection stays
    readable by `get` until its ttl (shortened to the close grace) but is never `live`.
    """

    @abstractmethod
    async def add(self, connection: Connection) -> None: ...

    @abstractmethod
    async def remove(self, connection_id: str) -> None:
        """Forget a connection; forgetting an unknown one is not an error."""

    @abstractmethod
    async def close(self, connection_id: str, *, now: float, keep_until: int) -> None:
        """Mark a connection closed at `now`, its row kept until `keep_until` (epoch
        seconds); closing an unknown or already forgotten one is not an error."""

    @abstractmethod
    async def get(self, connection_id: str, *, now: float) -> Connection | None:
        """The connection with this id (closed ones within their grace too), or None."""

    @abstractmethod
    async def live(self, *, now: float) -> list[Connection]:
        """Every open connection."""


class Sender(ABC):
    """Delivers one text message to one connection.

    `send` raises `ConnectionGone` when the target no longer exists (the caller then
    forgets it) and `SendFailed` for any other failure; it never raises vendor errors.
    """

    @abstractmethod
    async def send(self, connection_id: str, text: str) -> None: ...

    async def hang_up(self, connection_id: str) -> None:
        """End the connection from the server's side (API Gateway: `DELETE @connections`).
        A gone connection is not an error; the default cannot hang up and says so."""
        raise SendFailed(connection_id, "this sender cannot close connections")

    async def close(self) -> None:
        """Release pools and sockets; the default has nothing to release."""
        return None
