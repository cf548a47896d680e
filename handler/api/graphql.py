"""GraphQL with strawberry at /graphql: `query { user(id: 1) { name age } }`, and the
users resource's queries and mutations (handler.api.users.graphql_types).

`handler.app` mounts `build_graphql_app` through `LazyApp`, so strawberry is imported
on the first GraphQL request, not during a Lambda cold start.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import strawberry
from graphql import GraphQLError, OperationType
from graphql.language import OperationDefinitionNode
from starlette.requests import Request
from starlette.responses import Response
from strawberry.asgi import GraphQL
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.types import ExecutionContext

from handler.api.subscriptions import Subscription
from handler.api.users.graphql_types import Mutation, Query
from handler.platform.auth.callers import bearer_of, identity_of
from handler.platform.http.graphql_limits import GraphQLLimits

logger = logging.getLogger("strawberry.execution")


def _is_internal(error: GraphQLError) -> bool:
    """A resolver's unexpected exception, as opposed to a GraphQLError raised on purpose
    or a validation error about the query (both meant for the client)."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


class Schema(strawberry.Schema):
    """strawberry's schema, logging the client's mistakes (a query that does not validate,
    an error a resolver raised on purpose) at INFO without a traceback; only unexpected
    resolver errors are logged as errors (strawberry logs every error at ERROR)."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        unexpected = [error for error in errors if _is_internal(error)]
        for error in errors:
            if not _is_internal(error):
                logger.info("GraphQL request refused: %s", error.message)
        super().process_errors(unexpected, execution_context)


class SubscriptionsOverWebSockets(SchemaExtension):
    """The schema shows the subscriptions (introspection, GraphiQL), but an HTTP request
    cannot hold one: it is answered with a GraphQL error naming the socket, before
    validation, instead of running a resolver that has no event."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        subscribes = document is not None and any(
            isinstance(node, OperationDefinitionNode)
            and node.operation is OperationType.SUBSCRIPTION
            for node in document.definitions
        )
        if subscribes and context.pre_execution_errors is None:
            detail = "subscribe over a WebSocket (graphql-transport-ws) at this URL"
            context.pre_execution_errors = [GraphQLError(detail)]
        yield


# GraphiQL is strawberry's page, and its scripts come from unpkg.com: without internet the
# page would say "Loading..." forever. It says why instead (React replaces this text).
OFFLINE_NOTE = (
    "Loading GraphiQL... Its scripts come from unpkg.com: without internet this page stays"
    " empty. The API itself works offline: POST a query to this URL."
)


class GraphQLApp(GraphQL[Any, None]):
    """strawberry's ASGI app, with the caller in the context (`viewer`: an `Identity` or
    None). A token that is sent and refused answers as REST does, 401 (or 503 when the
    issuer's keys cannot be read) in the one error shape, before any resolver runs: the
    `AppError` reaches the app's error handlers through `BoundedGraphQL`'s caller."""

    async def get_context(self, request: Request | Any, response: Response | Any) -> Any:
        context: dict[str, Any] = await super().get_context(request, response)
        context["viewer"] = await identity_of(request, bearer_of(request))
        return context

    @property
    def graphql_ide_html(self) -> str:
        return super().graphql_ide_html.replace(">Loading...</div>", f">{OFFLINE_NOTE}</div>", 1)


def build_graphql_app(
    *,
    graphiql: bool,
    query: type = Query,
    mutation: type | None = Mutation,
    limits: GraphQLLimits | None = None,
) -> GraphQL[Any, None]:
    """In development: GraphiQL and full error messages. Elsewhere: no IDE, and an
    unexpected resolver error answers "Unexpected error." (strawberry still logs it).
    `limits`: strawberry's token, depth and alias limits (the app always passes them)."""
    extensions: list[Callable[[], SchemaExtension]] = [SubscriptionsOverWebSockets]
    extensions += limits.extensions() if limits else []
    if not graphiql:
        extensions.append(lambda: MaskErrors(should_mask_error=_is_internal))
    # The subscriptions are served over WebSockets (handler.api.subscription_routes);
    # here they are in the schema that introspection and GraphiQL show.
    schema = Schema(
        query=query, mutation=mutation, subscription=Subscription, extensions=extensions
    )
    return GraphQLApp(schema, graphql_ide="graphiql" if graphiql else None)
