"""What one GraphQL operation may cost: the token, depth and alias limits, shared by
queries over HTTP (`handler.platform.http.graphql_limits` wraps the app with them) and
subscriptions over WebSockets (checked once, on `subscribe`).

- `GraphQLLimits.extensions()` are strawberry's own validation extensions:
  `MaxTokensLimiter` stops graphql-core's parser after `max_tokens` tokens,
  `QueryDepthLimiter` and `MaxAliasesLimiter` refuse a parsed query before it runs.
- `ExpandedFieldsLimiter` closes one gap in them: both walk every fragment spread anew,
  so a 750-byte query whose fragments each spread the next one twice took them 3 s. It
  counts the fields a query selects once its fragments are expanded (linear), and
  refuses the query when that passes `max_tokens`.
- `GraphQLLimits.check(schema, query)` runs the same checks outside strawberry's request
  pipeline (a subscription is parsed once, then stored): parse with the token limit, the
  expanded-fields count, then graphql-core's validation with the depth and alias rules.

No Starlette here: the WebSocket and worker functions import this module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError, GraphQLSchema, parse, specified_rules, validate
from graphql.language import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
)
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from graphql.language import SelectionSetNode
    from graphql.validation import ASTValidationRule


@dataclass(frozen=True)
class GraphQLLimits:
    max_body_bytes: int
    max_tokens: int
    max_depth: int
    max_aliases: int

    def extensions(self) -> list[Callable[[], SchemaExtension]]:
        """Factories: strawberry builds each extension anew per request."""
        return [
            partial(MaxTokensLimiter, max_token_count=self.max_tokens),
            partial(ExpandedFieldsLimiter, max_fields=self.max_tokens),
            partial(QueryDepthLimiter, max_depth=self.max_depth),
            partial(MaxAliasesLimiter, max_alias_count=self.max_aliases),
        ]

    def check(self, schema: GraphQLSchema, query: str) -> DocumentNode | list[GraphQLError]:
        """The parsed document, or the errors refusing it (syntax, cost, validation)."""
        try:
            document = parse(query, max_tokens=self.max_tokens)
        except GraphQLError as error:
            return [error]
        try:
            fields = expanded_fields(document, self.max_tokens)
        except FragmentCycle as cycle:
            return [GraphQLError(str(cycle))]
        if fields > self.max_tokens:
            detail = "the query selects over {} fields once its fragments are expanded"
            return [GraphQLError(detail.format(self.max_tokens))]
        return validate(schema, document, [*specified_rules, *self._cost_rules()]) or document

    def _cost_rules(self) -> list[type[ASTValidationRule]]:
        depth = QueryDepthLimiter(max_depth=self.max_depth)
        aliases = MaxAliasesLimiter(max_alias_count=self.max_aliases)
        rules: list[Any] = [*depth.validation_rules, *aliases.validation_rules]
        return rules


class ExpandedFieldsLimiter(SchemaExtension):
    """Refuses a query that selects more than `max_fields` fields once its fragments are
    expanded, before validation (see the module docstring for why)."""

    def __init__(self, max_fields: int) -> None:
        self.max_fields = max_fields

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.pre_execution_errors is None:
            try:
                count = expanded_fields(document, self.max_fields)
            except FragmentCycle as cycle:
                count, problem = self.max_fields + 1, str(cycle)
            else:
                problem = (
                    f"the query selects over {self.max_fields} fields once its fragments"
                    " are expanded"
                )
            if count > self.max_fields:
                # Set before validation runs: strawberry then skips validation.
                context.pre_execution_errors = [GraphQLError(problem)]
        yield


class FragmentCycle(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(f"Cannot spread fragment '{name}' within itself.")


def expanded_fields(document: DocumentNode, limit: int) -> int:
    """How many fields the document's operations select with fragments expanded; stops
    counting past `limit`; raises `FragmentCycle`. Each fragment is counted once."""
    fragments = {
        node.name.value: node
        for node in document.definitions
        if isinstance(node, FragmentDefinitionNode)
    }
    counted: dict[str, int] = {}

    def count(selections: SelectionSetNode | None, spreading: frozenset[str]) -> int:
        total = 0
        for node in selections.selections if selections else ():
            if isinstance(node, FieldNode):
                total += 1 + count(node.selection_set, spreading)
            elif isinstance(node, InlineFragmentNode):
                total += count(node.selection_set, spreading)
            elif isinstance(node, FragmentSpreadNode):
                name = node.name.value
                if name in spreading:
                    raise FragmentCycle(name)
                if name not in counted and name in fragments:
                    counted[name] = count(fragments[name].selection_set, spreading | {name})
                total += counted.get(name, 0)
            if total > limit:
                break
        return total

    total = 0
    for node in document.definitions:
        if not isinstance(node, FragmentDefinitionNode):
            total += count(getattr(node, "selection_set", None), frozenset())
    return total
