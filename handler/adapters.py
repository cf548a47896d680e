"""The composition root: the one place that turns `Settings` into adapters.

An empty setting selects the local adapter (in memory, in process); a set one selects the
AWS adapter. Everything else receives adapters and never reads settings to choose one.

| part        | local                        | AWS (setting)                                   |
|-------------|------------------------------|-------------------------------------------------|
| cache       | cashews `mem://`             | cashews on Redis (REDIS_URL)                    |
| limits      | `limits` memory storage      | `limits` on the same Redis (REDIS_URL)          |
| tasks       | in-process, after the answer | SQS (TASK_QUEUE_URL)                            |
| websockets  | this server's sockets        | DynamoDB + @connections (CONNECTIONS_TABLE,     |
|             |                              | WS_CALLBACK_URL)                                |
| idempotency | in memory                    | DynamoDB (IDEMPOTENCY_TABLE)                    |
| users       | in memory, seeded            | DynamoDB (USERS_TABLE)                          |
| metrics     | off (METRICS=emf: EMF lines) | EMF lines on stdout, flushed per invocation     |
| identity    | the development issuer       | the issuer's JWKS (AUTH_ISSUER, AUTH_JWKS_URL)  |

No FastAPI here: the worker and WebSocket functions use this module too. Adapter modules
are imported inside the functions that build them, so a function imports only the
adapters its settings select (cold start).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any

from handler.platform.realtime.broadcast import installed_hub
from handler.platform.redis.breaker import Breaker
from handler.platform.redis.first_use import OnFirstUse
from handler.settings import Settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import BasePersistenceLayer

    from handler.api.users.user_store import UserStore
    from handler.platform.auth.development import DevelopmentIssuer
    from handler.platform.auth.verifier import TokenVerifier
    from handler.platform.metrics.recorder import Metrics
    from handler.platform.pagination.cursor import CursorCodec
    from handler.platform.realtime.hub import Hub
    from handler.platform.redis.pool import RedisPool
    from handler.platform.tasks.queue import TaskQueue
    from handler.platform.tasks.registry import TaskRegistry
    from handler.platform.tasks.sqs import SqsDeadLetters
    from handler.platform.tasks.worker import TaskWorker

logger = logging.getLogger(__name__)


def describe(settings: Settings) -> str:
    """The active backend of each part, for the one startup log line."""
    redis = "redis" if settings.redis_url else "memory"
    parts = {
        "cache": redis,
        "limits": redis,
        "tasks": "sqs" if settings.task_queue_url else "in-process",
        "websockets": "api-gateway" if uses_aws_websockets(settings) else "local",
        "idempotency": "dynamodb" if settings.idempotency_table else "memory",
        "users": "dynamodb" if settings.users_table else "memory",
        "identity": "issuer" if settings.auth_issuer else "development",
    }
    return " ".join(f"{part}={backend}" for part, backend in parts.items())


@lru_cache(maxsize=4)
def app_metrics(settings: Settings) -> Metrics:
    """The process's one recorder: off unless METRICS resolves to `emf` (on Lambda, batched
    until the entry flushes the invocation's)."""
    from handler.platform.metrics.recorder import build_metrics

    return build_metrics(
        emf=settings.metrics_mode == "emf",
        namespace=settings.metrics_namespace,
        service=settings.service_name,
        dimensions={"stage": settings.stage},
        batched=settings.on_lambda,
    )


# --- the app's lifespan -----------------------------------------------------------------


@asynccontextmanager
async def open_app_state(settings: Settings) -> AsyncIterator[dict[str, Any]]:
    """What the HTTP app's lifespan holds, entered once per execution environment:
    `task_queue`, `realtime` (the hub of this server's sockets), `cache`,
    `rate_limiter`, `redis_pool` when REDIS_URL is set, `users` (the users resource's
    store) and `cursors` (the pagination cursor codec). `broadcast()` reaches the API
    Gateway clients when the settings name them, this server's sockets otherwise.

    Under SnapStart the backends are built here (`build_ahead`) and the snapshot hooks
    registered (`release_connections`); otherwise each waits for its first use.
    """
    async with AsyncExitStack() as stack:
        state: dict[str, Any] = {
            "task_queue": task_queue(settings),
            "users": user_store(settings),
            "cursors": cursor_codec(settings),
            # Built by the first request with a token: PyJWT and `cryptography` cost
            # cold starts that serve anonymous requests nothing.
            "token_verifier": partial(token_verifier, settings),
            # Read where a request is refused (handler.platform.auth.deps).
            "metrics": app_metrics(settings),
        }
        stack.callback(state["task_queue"].close)
        hub = local_hub(settings)
        stack.push_async_callback(hub.sender.close)
        state["realtime"] = hub
        reach = aws_hub(settings) if uses_aws_websockets(settings) else hub
        stack.enter_context(installed_hub(reach))
        state.update(await stack.enter_async_context(open_cache_and_limits(settings)))
        if settings.snap_start:
            from handler.platform.runtime.snapstart import register_snapshot_hooks
            from handler.snapshot_state import build_ahead, release_connections

            await build_ahead(state)
            register_snapshot_hooks(before=partial(release_connections, state))
        yield state


@asynccontextmanager
async def open_cache_and_limits(settings: Settings) -> AsyncIterator[dict[str, Any]]:
    """`{"cache": ResponseCache, "rate_limiter": RateLimiter}`, plus `"redis_pool"` (the
    environment's one pool, an `OnFirstUse`) when REDIS_URL is set.

    Nothing here talks to Redis, builds a backend or imports cashews, limits or redis:
    each is built by the first request that needs it, so cold starts serving other
    routes skip ~100 ms of imports, and a Redis that is down at startup costs the first
    request its timeout, not the cold start its life.
    """
    from handler.platform.cache.store import open_cache
    from handler.platform.ratelimit.limiter import open_rate_limiter

    async with AsyncExitStack() as stack:
        pool, breaker = None, None
        if settings.redis_url:
            pool = await stack.enter_async_context(shared_redis_pool(settings))
            # Cache and limiter share the server, so they share its health.
            breaker = Breaker("redis", backoff=settings.redis_backoff)
        metrics = app_metrics(settings)
        cache = await stack.enter_async_context(
            open_cache(settings, pool=pool, breaker=breaker, metrics=metrics)
        )
        limiter = await stack.enter_async_context(
            open_rate_limiter(settings, pool=pool, breaker=breaker, metrics=metrics)
        )
        state: dict[str, Any] = {"cache": cache, "rate_limiter": limiter}
        if pool is not None:
            state["redis_pool"] = pool
        yield state


def shared_redis_pool(settings: Settings) -> OnFirstUse[RedisPool]:
    """The environment's one pool, created by whichever of cache and limiter needs Redis
    first, and closed with the lifespan if it was ever created."""

    def open_pool() -> Any:
        # Imported here: redis-py costs ~50 ms of cold start, paid only when Redis is used.
        from handler.platform.redis.pool import open_redis_pool

        return open_redis_pool(settings)

    return OnFirstUse(open_pool)


# --- the users resource and its cursors -------------------------------------------------


def user_store(settings: Settings) -> UserStore:
    """DynamoDB when USERS_TABLE is set, memory (seeded with the example users) otherwise."""
    if not settings.users_table:
        from handler.api.users.memory_users import MemoryUserStore

        return MemoryUserStore()
    from handler.api.users.dynamodb_users import DynamoDBUserStore

    store = DynamoDBUserStore(settings.users_table, endpoint_url=settings.aws_endpoint_url or None)
    if settings.on_lambda:
        store.client  # noqa: B018 - built in the init phase, as the task queue's client
    return store


def cursor_codec(settings: Settings) -> CursorCodec:
    """Signs with CURSOR_SECRET; outside production it may be empty (a public key)."""
    from handler.platform.pagination.cursor import DEVELOPMENT_KEY, CursorCodec

    return CursorCodec(settings.cursor_secret.get_secret_value() or DEVELOPMENT_KEY)


# --- identity -----------------------------------------------------------------------------


@lru_cache(maxsize=4)
def token_verifier(settings: Settings) -> TokenVerifier:
    """Tokens of AUTH_ISSUER, checked against its JWKS (AUTH_JWKS_URL, or the issuer's
    `/.well-known/jwks.json`); without an issuer (development only: production refuses
    to start), tokens of the development issuer. Built once per settings, its keys cached
    while the environment stays warm."""
    from handler.platform.auth.keys import KeyCache, jwks_fetcher
    from handler.platform.auth.verifier import TokenVerifier

    if settings.auth_issuer:
        issuer = settings.auth_issuer
        url = settings.auth_jwks_url or issuer.rstrip("/") + "/.well-known/jwks.json"
        fetch = jwks_fetcher(url, endpoint_url=settings.aws_endpoint_url or None)
    else:
        from handler.platform.auth.development import DEVELOPMENT_ISSUER

        issuer = DEVELOPMENT_ISSUER
        fetch = development_issuer(settings).jwks
    return TokenVerifier(
        issuer=issuer,
        keys=KeyCache(fetch),
        audiences=[a.strip() for a in settings.auth_audience.split(",")],
        leeway=settings.auth_leeway,
        groups_claim=settings.auth_groups_claim,
        admin_group=settings.auth_admin_group,
    )


@lru_cache(maxsize=4)
def development_issuer(settings: Settings) -> DevelopmentIssuer:
    from handler.platform.auth.development import DevelopmentIssuer

    return DevelopmentIssuer(settings.auth_development_key)


# --- tasks --------------------------------------------------------------------------------


def task_queue(settings: Settings) -> TaskQueue:
    """SQS when TASK_QUEUE_URL is set, in-process otherwise."""
    from handler.platform.tasks.queue import InProcessQueue

    if not settings.task_queue_url:
        if settings.on_lambda:
            logger.warning(
                "TASK_QUEUE_URL is unset on Lambda: tasks run in-process, before the response"
            )
        return InProcessQueue(metrics=app_metrics(settings))
    from handler.platform.tasks.sqs import SqsQueue

    # The client (boto3's import and endpoint setup: a few hundred ms) is built by the
    # first task queued, so a cold start serving other routes never imports boto3; under
    # SnapStart, by the init (build_ahead), so that the snapshot holds it.
    return SqsQueue(
        settings.task_queue_url,
        endpoint_url=settings.aws_endpoint_url or None,
        max_batch_bytes=settings.task_max_message_bytes,
        metrics=app_metrics(settings),
    )


def idempotency_store(settings: Settings) -> BasePersistenceLayer:
    """DynamoDB when IDEMPOTENCY_TABLE is set (partition key `id`), memory otherwise."""
    if not settings.idempotency_table:
        from handler.platform.tasks.idempotency import InMemoryPersistenceLayer

        return InMemoryPersistenceLayer()
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    from handler.platform.aws.clients import BACKGROUND, ClientOptions, aws_client

    # The worker's budget: every task waits on these writes, but nobody waits on the task.
    options: ClientOptions = {**BACKGROUND, "endpoint_url": settings.aws_endpoint_url or None}
    client = aws_client("dynamodb", **options)
    return DynamoDBPersistenceLayer(table_name=settings.idempotency_table, boto3_client=client)


def dead_letters(settings: Settings) -> SqsDeadLetters | None:
    """Where the worker parks poison messages (TASK_DLQ_URL); None keeps them on the queue
    for its redrive policy."""
    if not settings.task_dlq_url:
        return None
    from handler.platform.tasks.sqs import SqsDeadLetters

    return SqsDeadLetters(settings.task_dlq_url, endpoint_url=settings.aws_endpoint_url or None)


def task_worker(settings: Settings, *, tasks: TaskRegistry | None = None) -> TaskWorker:
    """The worker Lambda's task runner (the registry's tasks, or `tasks`), and the hub its
    tasks broadcast through."""
    from handler.platform.realtime.broadcast import install_hub
    from handler.platform.tasks.registry import registry
    from handler.platform.tasks.worker import TaskWorker

    if uses_aws_websockets(settings):
        install_hub(aws_hub(settings))
    return TaskWorker(
        persistence=idempotency_store(settings),
        dead_letters=dead_letters(settings),
        tasks=tasks or registry,
        idempotency_seconds=settings.task_idempotency_seconds,
        metrics=app_metrics(settings),
    )


# --- WebSockets ---------------------------------------------------------------------------


def uses_aws_websockets(settings: Settings) -> bool:
    """True when both AWS names are set; one without the other is a configuration error
    (local sockets with a shared table would delete other processes' connections)."""
    if bool(settings.connections_table) != bool(settings.ws_callback_url):
        raise ValueError("set CONNECTIONS_TABLE and WS_CALLBACK_URL together, or neither")
    return bool(settings.connections_table)


def local_hub(settings: Settings) -> Hub:
    """This server's sockets in a memory registry (`python -m local`)."""
    # Imported here: the Lambda WebSocket entry never needs Starlette.
    from handler.platform.realtime.hub import Hub
    from handler.platform.realtime.memory_registry import MemoryRegistry
    from handler.platform.realtime.socket_driver import LocalSocketSender

    sender = LocalSocketSender(timeout=settings.ws_send_timeout)
    return Hub(MemoryRegistry(), sender, concurrency=settings.ws_send_concurrency)


@lru_cache(maxsize=4)
def aws_hub(settings: Settings) -> Hub:
    """DynamoDB registry + @connections sender, built once per settings and reused while
    the execution environment stays warm."""
    from handler.platform.realtime.counted_sender import CountedSender
    from handler.platform.realtime.dynamodb_registry import DynamoDBRegistry
    from handler.platform.realtime.hub import Hub
    from handler.platform.realtime.signed_sender import SignedHttpSender

    # Not boto3's ManagementApiSender: the same signed request for half the CPU, which
    # is what bounds a broadcast to thousands of connections (see signed_sender).
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
