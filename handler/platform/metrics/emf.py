"""CloudWatch Embedded Metric Format on stdout, serialized by Powertools.

Powertools' `Metrics` class keeps one dimension set for everything it holds (and shares
its state between instances), while these metrics differ in their extra dimensions
(`route`, `task`, `reason`...). So values are kept here as plain tuples (the hot path
costs one append), and `flush` groups them by dimension set and hands each group to
one Powertools `AmazonCloudWatchEMFProvider`, which validates names, units and limits
and prints one EMF line per group. No network call: on Lambda, CloudWatch Logs turns
the lines into metrics; locally they are lines to read.

`batched=False` (local processes, which have no invocation to end) writes each value
as soon as it is recorded.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Mapping
from typing import Any

Key = tuple[tuple[str, str], ...]
MAX_DIMENSION_SETS = 1000


class EmfMetrics:
    enabled = True

    def __init__(
        self,
        *,
        namespace: str,
        service: str,
        dimensions: Mapping[str, str],
        batched: bool = True,
    ) -> None:
        # Imported here, not at module level: with metrics off nothing imports Powertools'
        # metrics (the import is paid once, by the init that builds this).
        from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (
            AmazonCloudWatchEMFProvider,
        )

        self._provider_class = AmazonCloudWatchEMFProvider
        self.namespace = namespace
        self.service = service
        self.dimensions = dict(dimensions)
        self.batched = batched
        # Sync endpoints and the @connections sender run in threads.
        self._lock = threading.Lock()
        self._pending: list[tuple[str, str, float, Key]] = []
        # One provider per dimension set, reused: building one costs ~30 us (its unit
        # tables), more than the rest of a flush. Bounded: the sets come from fixed values.
        self._providers: dict[Key, Any] = {}

    def count(self, name: str, value: float = 1.0, **dimensions: str) -> None:
        self._record(name, "Count", value, dimensions)

    def milliseconds(self, name: str, value: float, **dimensions: str) -> None:
        self._record(name, "Milliseconds", value, dimensions)

    def _record(self, name: str, unit: str, value: float, dimensions: dict[str, str]) -> None:
        entry = (name, unit, value, tuple(dimensions.items()))
        with self._lock:
            self._pending.append(entry)
        if not self.batched:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
        if not pending:
            return
        groups: dict[Key, Any] = {}
        for name, unit, value, extra in pending:
            provider = groups.get(extra)
            if provider is None:
                provider = groups[extra] = self._provider(extra)
            provider.add_metric(name=name, unit=unit, value=value)
        lines = []
        for provider in groups.values():
            # Powertools' serialization and schema checks, without flush_metrics' per-call
            # environment reads and dimension reset (a third of a flush): the provider's
            # dimensions never change, only its values are cleared.
            lines.append(json.dumps(provider.serialize_metric_set(), separators=(",", ":")))
            provider.metric_set.clear()
        sys.stdout.write("\n".join(lines) + "\n")  # one write per flush

    def _provider(self, extra: Key) -> Any:
        provider = self._providers.get(extra)
        if provider is None:
            if len(self._providers) >= MAX_DIMENSION_SETS:
                self._providers.clear()
            provider = self._providers[extra] = self._provider_class(
                namespace=self.namespace,
                service=self.service,
                default_dimensions={"service": self.service, **self.dimensions, **dict(extra)},
            )
        return provider
