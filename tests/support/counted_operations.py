"""`CountedOperations`: a subscription schema's `Operations` that counts `execute` calls,
so a test or a bench can assert an operation ran once per event, not once per subscriber."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handler.platform.graphql_ws.operations import Operations


class CountedOperations(Operations):
    """`operations`' schema and limits, counting `execute` calls in `executions`."""

    def __init__(self, operations: Operations) -> None:
        super().__init__(operations.schema, limits=operations.limits, mask_errors=True)
        self.executions = 0

    async def execute(
        self,
        query: str,
        variables: Mapping[str, Any],
        operation_name: str | None,
        payload: Mapping[str, Any],
    ) -> dict[str, Any]:
        self.executions += 1
        return await super().execute(query, variables, operation_name, payload)
