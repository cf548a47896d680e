"""GraphQL subscriptions: the protocol, its store and the publisher, per process.

| process            | store                            | publish                              |
|--------------------|----------------------------------|--------------------------------------|
| the local server   | memory, this process's sockets   | the fan-out channel `subscriptions`  |
| the WS function    | DynamoDB (SUBSCRIPTIONS_TABLE)   | -                                    |
| the worker         | DynamoDB (SUBSCRIPTIONS_TABLE)   | Query by topic, @connections         |

The schema (strawberry) is built on first use: a `$connect`, a ping or an init needs none.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache, partial
from typing import TYPE_CHECKING

from handler.composition.identity_backends import token_verifier
from handler.composition.socket_hubs import aws_hub
from handler.settings import Settings

if TYPE_CHECKING:
    from handler.platform.graphql_ws.dynamodb_store import DynamoDBSubscriptionStore
    from handler.platform.graphql_ws.operations import Operations
    from handler.platform.graphql_ws.protocol import GraphQLWsProtocol
    from handler.platform.graphql_ws.publisher import Publisher
    from handler.platform.realtime.hub import Hub


def subscriptions_backend(settings: Settings) -> str:
    return "dynamodb" if settings.subscriptions_table else "memory"


@lru_cache(maxsize=4)
def graphql_operations(settings: Settings) -> Operations:
    """The subscription schema with the queries' cost limits; errors masked outside
    development."""
    from handler.api.subscriptions import subscription_schema
    from handler.platform.graphql_ws.cost_limits import GraphQLLimits
    from handler.platform.graphql_ws.operations import Operations

    limits = GraphQLLimits(
        max_body_bytes=settings.graphql_max_body_bytes,
        max_tokens=settings.graphql_max_tokens,
        max_depth=settings.graphql_max_depth,
        max_aliases=settings.graphql_max_aliases,
    )
    return Operations(subscription_schema(), limits=limits, mask_errors=not settings.is_development)


@dataclass(frozen=True)
class LocalSubscriptions:
    """The local server's: the protocol its `/graphql` socket route drives, and the
    publisher its fan-out listener calls."""

    protocol: GraphQLWsProtocol
    publisher: Publisher


def local_subscriptions(settings: Settings, hub: Hub) -> LocalSubscriptions:
    from handler.platform.graphql_ws.memory_store import MemorySubscriptionStore
    from handler.platform.graphql_ws.protocol import GraphQLWsProtocol
    from handler.platform.graphql_ws.publisher import Publisher
    from handler.platform.realtime.hub import Hub
    from handler.platform.realtime.registries.memory import MemoryRegistry

    store = MemorySubscriptionStore()
    operations = partial(graphql_operations, settings)
    protocol = GraphQLWsProtocol(
        store,
        operations,
        verifier=partial(token_verifier, settings),
        init_timeout=settings.graphql_ws_init_timeout,
        max_subscriptions=settings.graphql_ws_max_subscriptions,
    )
    # Its own hub on the server's sockets: the fan-out already brought the event to this
    # process, so each send goes to this process's socket, never through the fan-out.
    own = Hub(MemoryRegistry(), hub.sender, concurrency=settings.ws_send_concurrency)
    return LocalSubscriptions(protocol, Publisher(store, operations, own))


@lru_cache(maxsize=4)
def aws_graphql_ws(settings: Settings) -> GraphQLWsProtocol | None:
    """The WebSocket function's protocol (None without SUBSCRIPTIONS_TABLE: chat only)."""
    if not settings.subscriptions_table:
        return None
    from handler.platform.graphql_ws.protocol import GraphQLWsProtocol

    return GraphQLWsProtocol(
        _aws_store(settings),
        partial(graphql_operations, settings),
        verifier=partial(token_verifier, settings),
        init_timeout=settings.graphql_ws_init_timeout,
        max_subscriptions=settings.graphql_ws_max_subscriptions,
    )


@lru_cache(maxsize=4)
def aws_publisher(settings: Settings) -> Publisher | None:
    """The worker's publisher (None without SUBSCRIPTIONS_TABLE). Its hub forgets gone
    connections in memory only: they are GraphQL sessions, not chat rows; the publisher
    drops their subscriptions itself."""
    if not settings.subscriptions_table:
        return None
    from handler.platform.graphql_ws.publisher import Publisher
    from handler.platform.realtime.hub import Hub
    from handler.platform.realtime.registries.memory import MemoryRegistry

    sender = aws_hub(settings).sender
    hub = Hub(MemoryRegistry(), sender, concurrency=settings.ws_send_concurrency)
    return Publisher(_aws_store(settings), partial(graphql_operations, settings), hub)


def _aws_store(settings: Settings) -> DynamoDBSubscriptionStore:
    from handler.platform.graphql_ws.dynamodb_store import DynamoDBSubscriptionStore

    return DynamoDBSubscriptionStore(
        settings.subscriptions_table, endpoint_url=settings.aws_endpoint_url or None
    )
