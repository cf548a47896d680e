"""`broadcast(text)`: reach every WebSocket client from code outside any socket (a task).

It sends through the hub the composition root (`handler.composition`) installed for this
process: the local server's hub (its sockets) while the app runs, or DynamoDB +
@connections in a function that has CONNECTIONS_TABLE and WS_CALLBACK_URL. A process with
no hub installed has nobody to reach: the broadcast is logged and sends nothing.
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager

from handler.platform.realtime.hub import Hub
from handler.platform.realtime.types import BroadcastResult
from handler.platform.runtime.process_slot import ProcessSlot

logger = logging.getLogger(__name__)

# One hub per process, like the process's sockets.
_hub: ProcessSlot[Hub] = ProcessSlot()


def installed_hub(hub: Hub) -> AbstractContextManager[Hub]:
    """Make `hub` the one `broadcast` uses while the block runs (the app's lifespan)."""
    return _hub.installed(hub)


def install_hub(hub: Hub | None) -> None:
    """Make `hub` the one `broadcast` uses from now on (a Lambda function's init); None
    leaves the process without one."""
    _hub.set(hub)


def current_hub() -> Hub | None:
    return _hub.value


async def broadcast(text: str) -> BroadcastResult:
    """Send `text` to every connected client.

    Locally, call it in the server's process (in-process tasks do); on AWS, from any
    function that can reach DynamoDB and the @connections API (not from inside a VPC
    without a NAT gateway). Raises `MessageRefused` for text over 128 KB.
    """
    hub = _hub.value
    if hub is None:
        logger.warning("broadcast with no WebSocket hub in this process: nobody reached")
        return BroadcastResult()
    return await hub.broadcast(text)
