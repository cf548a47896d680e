"""The demo's GraphQL subscriptions, over graphql-transport-ws at `/graphql` (locally) and
on the stack's WebSocket API (AWS):

    subscription { userCreated { id name } }
    subscription { userChanged(id: 1) { id name version } }
    subscription { announcement { text } }

A subscription is a field of `Subscription`: its name is the topic, its arguments are
filters (an event reaches `userChanged(id: 1)` only when published with `{"id": 1}`),
and its resolver turns the published event into the GraphQL object. Events come from
`publish_subscription_event` tasks: the users service's writes and announcements.

The fields resolve for nobody in particular (one result goes to every subscriber of the
same operation): nothing here depends on who asks, so `UserEvent` has no email.
No FastAPI or Starlette here: the WebSocket and worker functions build this schema.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import strawberry

from handler.platform.graphql_ws.operations import event


@strawberry.type(description="A user as a subscription sees it (no email: see the module).")
class UserEvent:
    id: int
    name: str
    age: int
    version: int


@strawberry.type
class Announcement:
    text: str


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def user_created(self, info: strawberry.Info) -> AsyncGenerator[UserEvent, None]:
        yield UserEvent(**event(info))

    @strawberry.subscription
    async def user_changed(self, info: strawberry.Info, id: int) -> AsyncGenerator[UserEvent, None]:
        del id  # a filter: only this user's events reach this subscription
        yield UserEvent(**event(info))

    @strawberry.subscription
    async def announcement(self, info: strawberry.Info) -> AsyncGenerator[Announcement, None]:
        yield Announcement(**event(info))


@strawberry.type
class SocketQuery:
    """The WebSocket functions' schema needs a query root; queries are served over HTTP."""

    @strawberry.field
    def about(self) -> str:
        return "subscriptions over graphql-transport-ws; queries and mutations: POST /graphql"


def subscription_schema() -> Any:
    """The graphql-core schema subscriptions are checked and executed against."""
    schema = strawberry.Schema(query=SocketQuery, subscription=Subscription)
    return schema._schema
