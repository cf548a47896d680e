"""One client socket as the emulated WebSocket API holds it: its identity and clocks, and
the only ways anything writes to it (a message from @connections, a close).

Every write goes through one lock: the session's watchdog and any number of @connections
requests write to the same ASGI `send` from different tasks.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from starlette.types import Send

from local.aws.apigateway.websocket_events import ConnectionInfo


class Gone(Exception):
    """The connection is closed or closing (@connections answers 410 GoneException)."""


class SlowClient(Exception):
    """The client did not take a message in time (@connections answers 429)."""


def iso8601(epoch_seconds: float) -> str:
    """`2024-07-21T09:39:18.417Z`, the timestamps of GetConnection."""
    moment = datetime.fromtimestamp(epoch_seconds, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Connection:
    """An accepted socket: `deliver` and `close` may be called from any task of the loop."""

    def __init__(self, info: ConnectionInfo, send: Send, *, send_timeout: float) -> None:
        self.info = info
        self._send = send
        self._send_timeout = send_timeout
        self._lock = asyncio.Lock()
        self.opened = time.monotonic()
        self.last_active = self.opened  # monotonic: the idle timer's clock
        self.last_active_at = info.connected_at_ms / 1000  # wall clock, for GetConnection
        # (code, reason) once the gateway decided to close; the $disconnect reports it.
        self.closing: tuple[int, str] | None = None

    def touch(self) -> None:
        """A message went either way: the idle timeout starts again."""
        self.last_active = time.monotonic()
        self.last_active_at = time.time()

    def describe(self) -> dict[str, object]:
        """GetConnection's answer, with the wire's member names."""
        return {
            "connectedAt": iso8601(self.info.connected_at_ms / 1000),
            "identity": {"sourceIp": self.info.source_ip, "userAgent": self.info.user_agent},
            "lastActiveAt": iso8601(self.last_active_at),
        }

    async def deliver(self, data: bytes) -> None:
        """Send `data` as a text frame when it is UTF-8, else as a binary frame."""
        message: dict[str, str | bytes] = {"type": "websocket.send"}
        try:
            message["text"] = data.decode()
        except UnicodeDecodeError:
            message["bytes"] = data
        try:
            async with asyncio.timeout(self._send_timeout), self._lock:
                if self.closing is not None:
                    raise Gone
                await self._send(message)
        except TimeoutError:
            raise SlowClient from None
        except (OSError, RuntimeError):
            # The server saw the socket go (ClientDisconnected) or already closed it.
            raise Gone from None
        self.touch()

    async def close(self, code: int, reason: str) -> None:
        """Close the socket with `code`; the first decision to close is the one reported."""
        if self.closing is not None:
            return
        self.closing = (code, reason)
        try:
            async with asyncio.timeout(self._send_timeout), self._lock:
                await self._send({"type": "websocket.close", "code": code, "reason": reason})
        except (TimeoutError, OSError, RuntimeError):
            pass  # already gone: the session ends on its own
