"""Shared vocabulary of the realtime layer: connections, requests, results and errors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from handler.platform.auth.identity import Identity

# API Gateway WebSocket limits (a connection lives at most 2 h; a message is at most 128 KB).
MAX_CONNECTION_SECONDS = 2 * 60 * 60
MAX_MESSAGE_BYTES = 128 * 1024
# How long a closed connection's row is kept. API Gateway may deliver a connection's last
# `$default` event after its `$disconnect` (separate invocations, in any order): the row
# still names the sender then, so that message is delivered, not refused.
CLOSED_GRACE_SECONDS = 60


@dataclass(frozen=True)
class Connection:
    """One socket. `ttl` (epoch seconds) is when the row stops being live; None: never.
    `closed_at` is set once the socket closed: the row then only answers who sent a late
    message (`CLOSED_GRACE_SECONDS`) and is never a broadcast target."""

    connection_id: str
    client_id: str
    connected_at: float
    ttl: int | None = None
    closed_at: float | None = None

    def live(self, now: float) -> bool:
        return self.ttl is None or self.ttl > now

    @property
    def open(self) -> bool:
        return self.closed_at is None


@dataclass(frozen=True)
class ConnectRequest:
    """What a client offers when it connects: path parameters locally, the query string on
    API Gateway (both arrive as `params`, without `token`); the bearer token it sent
    (`?token=` or a `bearer.<token>` subprotocol) and the other subprotocols it offered.
    `identity` is what the token proved, filled in by the `Dispatcher` before the
    endpoint sees the request (None: no token was sent)."""

    connection_id: str
    params: Mapping[str, str]
    source_ip: str = ""
    token: str | None = field(default=None, repr=False)
    protocols: tuple[str, ...] = ()
    identity: Identity | None = None


@dataclass
class BroadcastResult:
    """How one broadcast went: delivered, found gone (and deleted), failed otherwise."""

    sent: int = 0
    gone: int = 0
    failed: int = 0
    gone_ids: list[str] = field(default_factory=list)


class RealtimeError(Exception):
    """Base of the realtime layer's errors."""


class ConnectionGone(RealtimeError):
    """The target connection no longer exists (API Gateway's 410 GoneException, a closed
    local socket, or a local client too slow to take a message within the send timeout)."""

    def __init__(self, connection_id: str) -> None:
        super().__init__(f"connection {connection_id} is gone")
        self.connection_id = connection_id


class RegistryError(RealtimeError):
    """The connection store could not be read or written (throttled, unreachable): the
    event answers 503 and the client may try again."""


class SendFailed(RealtimeError):
    """A send failed for another reason (throttling, network, permissions); the connection
    may still be alive, so it is kept."""

    def __init__(self, connection_id: str, reason: str) -> None:
        super().__init__(f"send to {connection_id} failed: {reason}")
        self.connection_id = connection_id
        self.reason = reason


class Refused(RealtimeError):
    """An endpoint refuses a connection: the handshake answers `status_code`."""

    def __init__(self, status_code: int, reason: str) -> None:
        super().__init__(reason)
        self.status_code = status_code
        self.reason = reason


class MessageRefused(RealtimeError):
    """A message is not accepted (as it came in, or as it would go out); the sender gets
    `{"error": code, "detail": ...}`."""

    def __init__(self, code: str, detail: str, *, status_code: int = 400) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.status_code = status_code


def check_size(data: str | bytes, what: str = "message") -> None:
    """Raise `MessageRefused("message_too_large")` past API Gateway's 128 KB (UTF-8 bytes)."""
    size = len(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)
    if size > MAX_MESSAGE_BYTES:
        raise MessageRefused(
            "message_too_large",
            f"{what} is {size} bytes; the limit is {MAX_MESSAGE_BYTES} bytes (128 KB)",
            status_code=413,
        )
