"""GraphQL subscriptions over WebSockets (graphql-transport-ws), with no process that waits.

- `GraphQLWsProtocol` (protocol): the protocol's state machine, written once; the local
  socket driver and the API Gateway driver feed it messages and give it a `Link`;
- `SubscriptionStore` (subscription_store): sessions and subscriptions, keyed for a Query by topic;
  `MemorySubscriptionStore` (memory_store) and `DynamoDBSubscriptionStore`
  (dynamodb_store);
- `Operations` (operations): a subscription checked once with the queries' cost limits
  (`GraphQLLimits`, cost_limits), then executed once per event and distinct operation;
- `Publisher` (publisher) delivers one event; `publish` (publishing) is what a task
  calls, and `publish_subscription_event` (publish_task) is that task.

Modules that need strawberry or graphql-core import them themselves; this package's
names come without them.
"""

from __future__ import annotations

from handler.platform.graphql_ws.messages import SUBPROTOCOL, ProtocolClose
from handler.platform.graphql_ws.protocol import GraphQLWsProtocol, Link
from handler.platform.graphql_ws.publisher import Published, Publisher
from handler.platform.graphql_ws.publishing import (
    FanoutPublishing,
    install_publishing,
    installed_publishing,
    publish,
)
from handler.platform.graphql_ws.subscription_store import (
    DuplicateSubscription,
    Session,
    StoreError,
    Subscription,
    SubscriptionStore,
)

__all__ = [
    "SUBPROTOCOL",
    "DuplicateSubscription",
    "FanoutPublishing",
    "GraphQLWsProtocol",
    "Link",
    "ProtocolClose",
    "Published",
    "Publisher",
    "Session",
    "StoreError",
    "Subscription",
    "SubscriptionStore",
    "install_publishing",
    "installed_publishing",
    "publish",
]
