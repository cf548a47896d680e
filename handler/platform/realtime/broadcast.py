"""`broadcast(text)`: reach every WebSocket client from code outside any socket (a task).

It sends through the hub the composition root (`handler.composition`) installed for this
process: the local server's hub (its sockets) while the app runs, or DynamoDB +
@connections in a function that has CONNECTIONS_TABLE and WS_CALLBACK_URL. A process with
no hub installed has nobody to reach: the broadcast is logged and sends nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from handler.platform.realtime.hub import Hub
from handler.platform.realtime.types import BroadcastResult

logger = logging.getLogger(__name__)

_installed: Hub | None = None


@contextmanager
def installed_hub(hub: Hub) -> Iterator[Hub]:
    """Make `hub` the one `broadcast` uses while the block runs (the app's lifespan)."""
    global _installed  # noqa: PLW0603 - one hub per process, like the process's sockets
    previous, _installed = _installed, hub
    try:
        yield hub
    finally:
        _installed = previous if _installed is hub else _installed


def install_hub(hub: Hub | None) -> None:
    """Make `hub` the one `broadcast` uses from now on (a Lambda function's init); None
    leaves the process without one."""
    global _installed  # noqa: PLW0603
    _installed = hub


def current_hub() -> Hub | None:
    return _installed


async def broadcast(text: str) -> BroadcastResult:
    """Send `text` to every connected client.

    Locally, call it in the server's process (in-process tasks do); on AWS, from any
    function that can reach DynamoDB and the @connections API (not from inside a VPC
    without a NAT gateway). Raises `MessageRefused` for text over 128 KB.
    """
    hub = _installed
    if hub is None:
        logger.warning("broadcast with no WebSocket hub in this process: nobody reached")
        return BroadcastResult()
    return await hub.broadcast(text)
