"""GraphQL with strawberry at /graphql: `query { user(id: 1) { name age } }`.

`handler.app` mounts `build_graphql_app` through `LazyApp`, so strawberry is imported
on the first GraphQL request, not during a Lambda cold start.
"""

from __future__ import annotations

import strawberry
from strawberry.asgi import GraphQL


@strawberry.type
class User:
    name: str
    age: int


_USERS = {1: User(name="Patrick", age=100), 2: User(name="Sandy", age=30)}


@strawberry.type
class Query:
    @strawberry.field
    def user(self, id: int) -> User | None:
        return _USERS.get(id)


schema = strawberry.Schema(query=Query)


def build_graphql_app(*, graphiql: bool) -> GraphQL[None, None]:
    return GraphQL(schema, graphql_ide="graphiql" if graphiql else None)
