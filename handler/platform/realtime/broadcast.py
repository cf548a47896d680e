"""Hubs built from Settings, and `broadcast(text)` for code outside any socket (tasks).

Locally the hub is the one the running app's lifespan opened (memory registry + its
sockets); with CONNECTIONS_TABLE and WS_CALLBACK_URL set it is DynamoDB + @connections,
built once per settings and reused across warm invocations.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache

from handler.platform.realtime.hub import Hub
from handler.platform.realtime.types import BroadcastResult
from handler.settings import Settings, get_settings

_local_hub: Hub | None = None


def uses_aws(settings: Settings) -> bool:
    """True when both AWS names are set; one without the other is a configuration error
    (local sockets with a shared table would delete other processes' connections)."""
    if bool(settings.connections_table) != bool(settings.ws_callback_url):
        raise ValueError("set CONNECTIONS_TABLE and WS_CALLBACK_URL together, or neither")
    return bool(settings.connections_table)


def local_hub(settings: Settings) -> Hub:
    # Imported here: the Lambda WebSocket entry never needs Starlette.
    from handler.platform.realtime.local import LocalSocketSender
    from handler.platform.realtime.memory import MemoryRegistry

    sender = LocalSocketSender(timeout=settings.ws_send_timeout)
    return Hub(MemoryRegistry(), sender, concurrency=settings.ws_send_concurrency)


@lru_cache(maxsize=4)
def aws_hub(settings: Settings) -> Hub:
    from handler.platform.realtime.dynamodb import DynamoDBRegistry
    from handler.platform.realtime.signed_http import SignedHttpSender

    # Not boto3's ManagementApiSender: the same signed request for half the CPU, which
    # is what bounds a broadcast to thousands of connections (see signed_http).
    sender = SignedHttpSender(
        settings.ws_callback_url,
        concurrency=settings.ws_send_concurrency,
        timeout=settings.ws_send_timeout,
    )
    registry = DynamoDBRegistry(
        settings.connections_table, endpoint_url=settings.aws_endpoint_url or None
    )
    return Hub(registry, sender, concurrency=settings.ws_send_concurrency)


@asynccontextmanager
async def local_realtime(settings: Settings) -> AsyncIterator[Hub]:
    """The app lifespan's hub for local sockets; `hub_for` finds it while the app runs."""
    global _local_hub  # noqa: PLW0603 - one running local server per process
    hub = local_hub(settings)
    previous, _local_hub = _local_hub, hub
    try:
        yield hub
    finally:
        _local_hub = previous if _local_hub is hub else _local_hub
        await hub.sender.close()


def hub_for(settings: Settings) -> Hub:
    """The hub that reaches every client under these settings."""
    if uses_aws(settings):
        return aws_hub(settings)
    # No local server running in this process: nobody is connected here.
    return _local_hub or local_hub(settings)


async def broadcast(text: str, settings: Settings | None = None) -> BroadcastResult:
    """Send `text` to every connected client (a task's way to reach WebSocket clients).

    Locally, call it in the server's process (in-process tasks do); on AWS, from any
    function that can reach DynamoDB and the @connections API (not from inside a VPC
    without a NAT gateway).
    """
    return await hub_for(settings or get_settings()).broadcast(text)
