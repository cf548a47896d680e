"""Check a subscription once, execute it once per event: graphql-core over the schema.

`prepare` is what `subscribe` runs: the same cost limits as queries and graphql-core's
validation (`GraphQLLimits.check`), the variables coerced, the root field's arguments
read as the topic's filters. Only subscription operations are taken here (queries and
mutations go to `POST /graphql`), and their one root field must be written out, not
spread from a fragment, so its arguments can be read before any event.

`execute` runs one event through the operation: graphql-core's `subscribe` with the
event as the root value, read once. The subscription field's own resolver (an async
generator: `yield Type(**event(info))`) turns the event into the GraphQL object, and the
selection runs on it. The caller is nobody (`{"viewer": None}`): one result is sent to
every subscriber with the same operation and variables, so a field may not depend on
who asks. An unexpected resolver error reads "Unexpected error." when `mask_errors`.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    ExecutionResult,
    GraphQLError,
    GraphQLSchema,
    OperationType,
    print_ast,
    subscribe,
)
from graphql.execution.executor import Executor
from graphql.execution.values import get_argument_values
from graphql.language import DocumentNode, FieldNode

from handler.platform.graphql_ws.cost_limits import GraphQLLimits
from handler.platform.graphql_ws.subscription_store import MAX_FILTERS

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Prepared:
    topic: str
    filters: dict[str, Any]
    query: str  # normalised: equal operations are executed once, however they were spaced
    variables: dict[str, Any]
    operation_name: str | None


def event(info: Any) -> dict[str, Any]:
    """The event a subscription resolver is fed (the published payload)."""
    root: dict[str, Any] = info.root_value
    return root


class Operations:
    def __init__(
        self, schema: GraphQLSchema, *, limits: GraphQLLimits, mask_errors: bool = True
    ) -> None:
        self.schema = schema
        self.limits = limits
        self.mask_errors = mask_errors
        self._documents: dict[str, DocumentNode] = {}

    def prepare(
        self, query: str, variables: Mapping[str, Any], operation_name: str | None
    ) -> Prepared | list[dict[str, Any]]:
        """The subscription to store, or the GraphQL errors refusing it."""
        try:
            return self._prepare(query, dict(variables), operation_name)
        except Refusal as refusal:
            return refusal.errors

    def _prepare(
        self, query: str, variables: dict[str, Any], operation_name: str | None
    ) -> Prepared:
        checked = self.limits.check(self.schema, query)
        if isinstance(checked, list):
            raise Refusal(*checked)
        executor = Executor.build(
            self.schema, checked, raw_variable_values=variables, operation_name=operation_name
        )
        if isinstance(executor, list):
            raise Refusal(*executor)
        operation = executor.operation
        if operation.operation is not OperationType.SUBSCRIPTION:
            raise Refusal("only subscriptions over this socket; POST queries to /graphql")
        root = operation.selection_set.selections
        if len(root) != 1 or not isinstance(root[0], FieldNode):
            raise Refusal("subscribe to one field, written out (not spread from a fragment)")
        node = root[0]
        subscription_type = self.schema.subscription_type
        field = subscription_type.fields.get(node.name.value) if subscription_type else None
        if field is None:
            raise Refusal(f"no subscription field {node.name.value}")
        try:
            arguments = get_argument_values(field, node, executor.variable_values)
        except GraphQLError as error:
            raise Refusal(error) from None
        filters = {name: value for name, value in arguments.items() if value is not None}
        if len(filters) > MAX_FILTERS:
            raise Refusal(f"at most {MAX_FILTERS} filter arguments")
        return Prepared(
            topic=node.name.value,
            filters=filters,
            query=print_ast(checked),
            variables=variables,
            operation_name=operation_name,
        )

    async def execute(
        self,
        query: str,
        variables: Mapping[str, Any],
        operation_name: str | None,
        payload: Mapping[str, Any],
    ) -> dict[str, Any]:
        """The `next` payload for one event: `{"data": ...}`, with `errors` if any."""
        document = self._document(query)
        stream = subscribe(
            self.schema,
            document,
            root_value=dict(payload),
            context_value={"viewer": None},
            variable_values=dict(variables),
            operation_name=operation_name,
        )
        if inspect.isawaitable(stream):
            stream = await stream
        if isinstance(stream, ExecutionResult):
            return self._formatted(stream)  # refused before any event
        try:
            result = await anext(stream)
        finally:
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                await aclose()
        return self._formatted(result)

    def _document(self, query: str) -> DocumentNode:
        # Stored queries were checked when subscribed; parse each text once per process.
        document = self._documents.get(query)
        if document is None:
            from graphql import parse

            if len(self._documents) >= 1024:
                self._documents.clear()
            document = self._documents[query] = parse(query)
        return document

    def _formatted(self, result: Any) -> dict[str, Any]:
        formatted: dict[str, Any] = result.formatted
        if self.mask_errors and result.errors:
            for error in result.errors:
                if error.original_error is not None and not isinstance(
                    error.original_error, GraphQLError
                ):
                    logger.error("subscription resolver failed", exc_info=error.original_error)
            formatted["errors"] = [
                {**shown, "message": "Unexpected error."}
                if error.original_error is not None
                and not isinstance(error.original_error, GraphQLError)
                else shown
                for error, shown in zip(result.errors, formatted["errors"], strict=True)
            ]
        return formatted


class Refusal(Exception):
    """The operation is refused: `errors` is the `error` message's payload."""

    def __init__(self, *errors: GraphQLError | str) -> None:
        super().__init__(errors)
        self.errors: list[dict[str, Any]] = [
            dict(error.formatted) if isinstance(error, GraphQLError) else {"message": error}
            for error in errors
        ]
