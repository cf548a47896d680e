"""WebSockets: this server's sockets, or DynamoDB and @connections; and the fan-out that
joins the sockets of several local processes (Redis pub/sub with REDIS_URL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import TYPE_CHECKING

from handler.composition.metrics_backend import app_metrics
from handler.platform.settings import PlatformSettings

if TYPE_CHECKING:
    from handler.platform.realtime.fanout import Fanout
    from handler.platform.realtime.hub import Hub
    from handler.platform.redis.first_use import OnFirstUse
    from handler.platform.redis.pool import RedisPool


def websocket_backend(settings: PlatformSettings) -> str:
    """`api-gateway` when the AWS names are set (Settings refuses one without the other,
    with the one-line configuration error), `local` otherwise."""
    return "api-gateway" if settings.connections_table else "local"


def uses_aws_websockets(settings: PlatformSettings) -> bool:
    return websocket_backend(settings) == "api-gateway"


def fanout_backend(settings: PlatformSettings) -> str:
    """`redis` for local sockets with REDIS_URL (several processes, one Redis: each
    hears every broadcast once), `process` otherwise: one process's listeners, and on
    AWS no fan-out at all (any function reaches every connection through @connections)."""
    local = not uses_aws_websockets(settings) and not settings.on_lambda
    return "redis" if settings.redis_url and local else "process"


@asynccontextmanager
async def open_fanout(
    settings: PlatformSettings, *, pool: OnFirstUse[RedisPool] | None
) -> AsyncIterator[Fanout]:
    """The lifespan's fan-out, the process's current one (`current_fanout()`) while it
    runs. With Redis, it publishes through `pool` (the environment's) and its subscriber
    runs until the block ends, on a connection of its own."""
    from handler.platform.realtime.fanout import InProcessFanout, installed_fanout

    if fanout_backend(settings) != "redis" or pool is None:
        with installed_fanout(InProcessFanout()) as fanout:
            yield fanout
        return
    # Imported here: redis-py, and never on the Lambda side.
    from handler.platform.realtime.fanout_redis import RedisFanout

    redis_fanout = RedisFanout(
        pool,
        prefix=f"{settings.redis_key_prefix}fanout:",
        timeout=settings.redis_timeout,
        backoff=settings.redis_backoff,
    )
    async with redis_fanout:
        with installed_fanout(redis_fanout) as fanout:
            yield fanout


def local_hub(settings: PlatformSettings, *, fanout: Fanout | None = None) -> Hub:
    """This server's sockets in a memory registry (`python -m local`); with `fanout`,
    its broadcasts reach the sockets of every process that shares it."""
    # Imported here: the Lambda WebSocket entry never needs Starlette.
    from handler.platform.realtime.drivers.local_socket import LocalSocketSender
    from handler.platform.realtime.hub import Hub
    from handler.platform.realtime.registries.memory import MemoryRegistry

    sender = LocalSocketSender(timeout=settings.ws_send_timeout)
    concurrency = settings.ws_send_concurrency
    if fanout is None:
        return Hub(MemoryRegistry(), sender, concurrency=concurrency)
    from handler.platform.realtime.fanout_hub import FanoutHub

    return FanoutHub(MemoryRegistry(), sender, fanout=fanout, concurrency=concurrency)


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
