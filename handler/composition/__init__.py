"""The composition root: the one place that turns `Settings` into adapters.

An empty setting selects the local adapter (in memory, in process); a set one selects the
AWS adapter. Everything else receives adapters and never reads settings to choose one.

| part        | local                        | AWS (setting)                                   |
|-------------|------------------------------|-------------------------------------------------|
| cache       | a bounded in-memory LRU      | Redis (REDIS_URL)                               |
| limits      | `limits` memory storage      | `limits` on the same Redis (REDIS_URL)          |
| tasks       | in-process, after the answer | SQS (TASK_QUEUE_URL)                            |
| websockets  | this server's sockets        | DynamoDB + @connections (CONNECTIONS_TABLE,     |
|             |                              | WS_CALLBACK_URL)                                |
| fan-out     | in process; Redis pub/sub    | none: @connections reaches every connection     |
|             | between local processes      |                                                 |
|             | (REDIS_URL)                  |                                                 |
| idempotency | in memory                    | DynamoDB (IDEMPOTENCY_TABLE)                    |
| users       | in memory, seeded            | DynamoDB (USERS_TABLE)                          |
| metrics     | off (METRICS=emf: EMF lines) | EMF lines on stdout, flushed per invocation     |
| identity    | the development issuer       | the issuer's JWKS (AUTH_ISSUER, AUTH_JWKS_URL)  |

No FastAPI here: the worker and WebSocket functions use this module too. Adapter modules
are imported inside the functions that build them, so a function imports only the
adapters its settings select (cold start). One module per part:
`metrics_backend`, `cache_backends`, `user_backends`, `identity_backends`,
`task_backends`, `socket_hubs`; this module re-exports them and enters the app's state.
The platform's parts take `PlatformSettings` (any app's settings will do); the demo's own
(`user_backends`: the users store and its cursors) and the app's state take `Settings`.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from functools import partial
from typing import TYPE_CHECKING

from handler.composition.cache_backends import (
    cache_backend,
    open_cache_and_limits,
    shared_redis_pool,
)
from handler.composition.identity_backends import (
    development_issuer,
    identity_backend,
    require_issuer,
    token_verifier,
)
from handler.composition.metrics_backend import app_metrics
from handler.composition.socket_hubs import (
    aws_hub,
    fanout_backend,
    local_hub,
    open_fanout,
    uses_aws_websockets,
    websocket_backend,
)
from handler.composition.subscription_backends import (
    aws_graphql_ws,
    aws_publisher,
    graphql_operations,
    local_subscriptions,
    subscriptions_backend,
)
from handler.composition.task_backends import (
    dead_letters,
    idempotency_backend,
    idempotency_store,
    task_backend,
    task_queue,
    task_worker,
)
from handler.composition.user_backends import cursor_codec, user_store, users_backend
from handler.platform.realtime.broadcast import installed_hub
from handler.platform.settings import PlatformSettings
from handler.settings import Settings

if TYPE_CHECKING:
    from handler.composition.subscription_backends import LocalSubscriptions
    from handler.demo_state import AppState
    from handler.platform.realtime.fanout import Fanout

__all__ = [
    "app_metrics",
    "aws_graphql_ws",
    "aws_hub",
    "aws_publisher",
    "configure_logs",
    "cursor_codec",
    "dead_letters",
    "describe",
    "development_issuer",
    "fanout_backend",
    "graphql_operations",
    "idempotency_store",
    "local_hub",
    "local_subscriptions",
    "open_app_state",
    "open_cache_and_limits",
    "open_fanout",
    "require_issuer",
    "shared_redis_pool",
    "task_queue",
    "task_worker",
    "token_verifier",
    "user_store",
    "uses_aws_websockets",
]


def configure_logs(settings: PlatformSettings) -> None:
    """The process's logging as the settings say (LOG_FORMAT, LOG_LEVEL, SERVICE_NAME)."""
    from handler.platform.runtime.logs import configure_logging

    configure_logging(
        json=settings.json_logs, level=settings.log_level, service=settings.service_name
    )


def describe(settings: Settings) -> str:
    """The active backend of each part, for the one startup log line: each as the
    module that builds it names it (the same function its factory chooses with)."""
    parts = {
        "cache": cache_backend(settings),
        "limits": cache_backend(settings),
        "tasks": task_backend(settings),
        "websockets": _websockets(settings),
        "subscriptions": subscriptions_backend(settings),
        "idempotency": idempotency_backend(settings),
        "users": users_backend(settings),
        "identity": identity_backend(settings),
    }
    return " ".join(f"{part}={backend}" for part, backend in parts.items())


def _websockets(settings: Settings) -> str:
    backend = websocket_backend(settings)
    return f"{backend}+redis" if fanout_backend(settings) == "redis" else backend


@contextmanager
def _local_publishing(
    settings: Settings, subscriptions: LocalSubscriptions, fanout: Fanout
) -> Iterator[None]:
    """Events published in this process: through the worker's publisher when the settings
    name a subscriptions table, else on this process's fan-out (the lifespan's, Redis
    between processes with REDIS_URL), whose listener in each process delivers them to
    that server's own subscriptions (each server process hears each event once)."""
    from handler.platform.graphql_ws.publishing import (
        CHANNEL,
        FanoutPublishing,
        installed_publishing,
    )

    fanout.listen(CHANNEL, subscriptions.publisher.deliver_message)
    publisher = aws_publisher(settings)
    with installed_publishing(publisher or FanoutPublishing(fanout)):
        yield


@asynccontextmanager
async def open_app_state(settings: Settings) -> AsyncIterator[AppState]:
    """What the HTTP app's lifespan holds, entered once per execution environment (an
    `AppState`: the platform's backends and the users store). `broadcast()` reaches the
    API Gateway clients when the settings name them, this server's sockets otherwise
    (and, with REDIS_URL, the sockets of every local process sharing that Redis).

    Under SnapStart the backends are built here (`build_ahead`) and the snapshot hooks
    registered (`release_connections`); otherwise each waits for its first use.
    """
    # Here, not at the top: the worker and WebSocket functions import this package, and
    # the state's types come with Starlette, which their assets do not hold.
    from handler.demo_state import AppState

    async with AsyncExitStack() as stack:
        queue = task_queue(settings)
        stack.callback(queue.close)
        backends = await stack.enter_async_context(open_cache_and_limits(settings))
        # Before anything listens: the process's fan-out (current_fanout()) is this one.
        fanout = await stack.enter_async_context(open_fanout(settings, pool=backends.redis_pool))
        hub = local_hub(settings, fanout=fanout)
        stack.push_async_callback(hub.sender.close)
        reach = aws_hub(settings) if uses_aws_websockets(settings) else hub
        stack.enter_context(installed_hub(reach))
        subscriptions = local_subscriptions(settings, hub)
        stack.enter_context(_local_publishing(settings, subscriptions, fanout))
        state = AppState(
            started_at=time.time(),
            task_queue=queue,
            realtime=hub,
            cache=backends.cache,
            rate_limiter=backends.rate_limiter,
            redis_pool=backends.redis_pool,
            cursors=cursor_codec(settings),
            # Built by the first request with a token: PyJWT and `cryptography` cost
            # cold starts that serve anonymous requests nothing.
            token_verifier=partial(token_verifier, settings),
            metrics=app_metrics(settings),
            users=user_store(settings),
            subscriptions=subscriptions.protocol,
        )
        if settings.snap_start:
            from handler.platform.runtime.snapstart import register_snapshot_hooks
            from handler.snapshot_state import build_ahead, release_connections

            await build_ahead(state)
            register_snapshot_hooks(before=partial(release_connections, state))
        yield state
