"""GraphQL with strawberry at /graphql: `query { user(id: 1) { name age } }`."""

from __future__ import annotations

import strawberry
from strawberry.fastapi import GraphQLRouter


@strawberry.type
class User:
    name: str
    age: int


_USERS = {1: User(name="Patrick", age=100), 2: User(name="Sandy", age=30)}


@strawberry.type
class Query:
    @strawberry.field
    def user(self, id: int) -> User | None:  # `id` is GraphQL's argument name
        return _USERS.get(id)


schema = strawberry.Schema(query=Query)


def graphql_router(*, graphiql: bool) -> GraphQLRouter[None, None]:
    return GraphQLRouter(schema, graphql_ide="graphiql" if graphiql else None, tags=["graphql"])
