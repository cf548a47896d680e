"""WebSockets: this server's sockets, or DynamoDB and @connections."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from handler.composition.metrics_backend import app_metrics
from handler.platform.settings import PlatformSettings

if TYPE_CHECKING:
    from handler.platform.realtime.hub import Hub


def websocket_backend(settings: PlatformSettings) -> str:
    """`api-gateway` when the AWS names are set (Settings refuses one without the other,
    with the one-line configuration error), `local` otherwise."""
    return "api-gateway" if settings.connections_table else "local"


def uses_aws_websockets(settings: PlatformSettings) -> bool:
    return websocket_backend(settings) == "api-gateway"


def local_hub(settings: PlatformSettings) -> Hub:
    """This server's sockets in a memory registry (`python -m local`)."""
    # Imported here: the Lambda WebSocket entry never needs Starlette.
    from handler.platform.realtime.drivers.local_socket import LocalSocketSender
    from handler.platform.realtime.hub import Hub
    from handler.platform.realtime.registries.memory import MemoryRegistry

    sender = LocalSocketSender(timeout=settings.ws_send_timeout)
    return Hub(MemoryRegistry(), sender, concurrency=settings.ws_send_concurrency)


@lru_cache(maxsize=4)
def aws_hub(settings: PlatformSettings) -> Hub:
    """DynamoDB registry + @connections sender, built once per settings and reused while
    the execution environment stays warm."""
    from handler.platform.realtime.hub import Hub
    from handler.platform.realtime.registries.dynamodb import DynamoDBRegistry
    from handler.platform.realtime.senders.counted import CountedSender
    from handler.platform.realtime.senders.signed_http import SignedHttpSender

    # Not boto3's ManagementApiSender: the same signed request for half the CPU, which
    # is what bounds a broadcast to thousands of connections (see senders/signed_http).
    signed = SignedHttpSender(
        settings.ws_callback_url,
        concurrency=settings.ws_send_concurrency,
        timeout=settings.ws_send_timeout,
    )
    metrics = app_metrics(settings)
    sender = CountedSender(signed, metrics=metrics) if metrics.enabled else signed
    registry = DynamoDBRegistry(
        settings.connections_table, endpoint_url=settings.aws_endpoint_url or None
    )
    return Hub(registry, sender, concurrency=settings.ws_send_concurrency)
