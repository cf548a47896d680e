"""Metrics: a small port (`Metrics`) the composition root hands to every part that
counts something, with two adapters: `NO_METRICS` (off, the local default) and
`EmfMetrics` (CloudWatch EMF lines on stdout through Powertools, flushed once per Lambda
invocation by `invocation_metrics`). The names and their dimensions are in `names`.
"""

from __future__ import annotations

from handler.platform.metrics.recorder import (
    NO_METRICS,
    Metrics,
    NullMetrics,
    count_auth_refusal,
    elapsed_ms,
    invocation_metrics,
)

__all__ = [
    "NO_METRICS",
    "Metrics",
    "NullMetrics",
    "count_auth_refusal",
    "elapsed_ms",
    "invocation_metrics",
]
