"""GraphQL with strawberry at /graphql: `query { user(id: 1) { name age } }`.

`handler.app` mounts `build_graphql_app` through `LazyApp`, so strawberry is imported
on the first GraphQL request, not during a Lambda cold start.
"""

from __future__ import annotations

from collections.abc import Callable

import strawberry
from graphql import GraphQLError
from strawberry.asgi import GraphQL
from strawberry.extensions import MaskErrors, SchemaExtension


@strawberry.type
class User:
    name: str
    age: int


_USERS = {1: User(name="Patrick", age=100), 2: User(name="Sandy", age=30)}


@strawberry.type
class Query:
    @strawberry.field
    def user(self, id: int) -> User | None:
        if id < 1:
            raise GraphQLError("id must be a positive integer")  # the client's mistake: shown
        return _USERS.get(id)


def _is_internal(error: GraphQLError) -> bool:
    """A resolver's unexpected exception, as opposed to a GraphQLError raised on purpose
    or a validation error about the query (both meant for the client)."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


def build_graphql_app(*, graphiql: bool, query: type = Query) -> GraphQL[None, None]:
    """In development: GraphiQL and full error messages. Elsewhere: no IDE, and an
    unexpected resolver error answers "Unexpected error." (strawberry still logs it)."""
    extensions: list[Callable[[], SchemaExtension]] = []
    if not graphiql:
        extensions.append(lambda: MaskErrors(should_mask_error=_is_internal))
    schema = strawberry.Schema(query=query, extensions=extensions)
    return GraphQL(schema, graphql_ide="graphiql" if graphiql else None)
