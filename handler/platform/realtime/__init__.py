"""Realtime: WebSocket endpoints written once, driven by local sockets or API Gateway.

Ports: `ConnectionRegistry` (memory, DynamoDB) and `Sender` (local sockets, @connections).
A `Hub` sends and broadcasts through them; a `WebSocketEndpoint` holds the handlers; a
`Dispatcher` feeds it events from either driver (`serve_socket` locally,
`ApiGatewayWebSocketDriver` on AWS). `broadcast(text)` reaches every client from anywhere.
Locally, a `Fanout` (`current_fanout()`) carries broadcasts between the server's
processes: `FanoutHub` broadcasts through it; `RedisFanout` (`fanout_redis`, not
imported here: it needs redis-py) joins processes that share a Redis.
"""

from __future__ import annotations

from handler.platform.realtime.broadcast import broadcast, current_hub, install_hub, installed_hub
from handler.platform.realtime.endpoint import Dispatcher, WebSocketEndpoint
from handler.platform.realtime.fanout import (
    Fanout,
    InProcessFanout,
    current_fanout,
    install_fanout,
    installed_fanout,
)
from handler.platform.realtime.fanout_hub import FanoutHub
from handler.platform.realtime.hub import Delivery, Hub
from handler.platform.realtime.ports import ConnectionRegistry, Sender
from handler.platform.realtime.types import (
    BroadcastResult,
    Connection,
    ConnectionGone,
    ConnectRequest,
    MessageRefused,
    Refused,
    RegistryError,
    SendFailed,
)

__all__ = [
    "BroadcastResult",
    "ConnectRequest",
    "Connection",
    "ConnectionGone",
    "ConnectionRegistry",
    "Delivery",
    "Dispatcher",
    "Fanout",
    "FanoutHub",
    "Hub",
    "InProcessFanout",
    "MessageRefused",
    "Refused",
    "RegistryError",
    "SendFailed",
    "Sender",
    "WebSocketEndpoint",
    "broadcast",
    "current_fanout",
    "current_hub",
    "install_fanout",
    "install_hub",
    "installed_fanout",
    "installed_hub",
]
