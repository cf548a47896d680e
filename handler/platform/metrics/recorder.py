"""The metrics port: what every emitting place is handed by the composition root.

`count` and `milliseconds` are called where the event happens (cache, limiter, task
queue and worker, @connections sender, HTTP middleware); `flush` once per Lambda
invocation, by the entry (`invocation_metrics`). `NO_METRICS` is the default of every
constructor, so a part built without metrics (a test, a user's own wiring) needs none.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, Generic, Protocol, TypeVar

from handler.platform.metrics.names import AUTH_REFUSAL_REASONS, AUTH_REFUSALS, COLD_START

R = TypeVar("R")


class Metrics(Protocol):
    """Record one value of a metric under extra dimensions (each from a fixed set)."""

    @property
    def enabled(self) -> bool: ...

    def count(self, name: str, value: float = 1.0, **dimensions: str) -> None: ...

    def milliseconds(self, name: str, value: float, **dimensions: str) -> None: ...

    def flush(self) -> None:
        """Write what was recorded since the last flush (nothing when none was)."""


class NullMetrics:
    """Metrics off: every call returns at once, and Powertools is never imported."""

    enabled = False

    def count(self, name: str, value: float = 1.0, **dimensions: str) -> None:
        return None

    def milliseconds(self, name: str, value: float, **dimensions: str) -> None:
        return None

    def flush(self) -> None:
        return None


NO_METRICS: Metrics = NullMetrics()


def build_metrics(
    *, emf: bool, namespace: str, service: str, dimensions: Mapping[str, str], batched: bool
) -> Metrics:
    """`EmfMetrics` with these names when `emf`, else `NO_METRICS` (nothing imported)."""
    if not emf:
        return NO_METRICS
    from handler.platform.metrics.emf import EmfMetrics

    return EmfMetrics(namespace=namespace, service=service, dimensions=dimensions, batched=batched)


def count_auth_refusal(metrics: Metrics, reason: str) -> None:
    """`AuthRefusals{reason}`: the hook the auth package calls where it refuses a request.
    A reason outside the documented set is counted as `invalid_token`, so no caller can
    widen the dimension's cardinality by mistake."""
    known = reason if reason in AUTH_REFUSAL_REASONS else "invalid_token"
    metrics.count(AUTH_REFUSALS, reason=known)


def invocation_metrics(
    handler: Callable[[Any, Any], R], metrics: Metrics, *, function: str
) -> Callable[[Any, Any], R]:
    """A Lambda handler that counts `ColdStart{function}` on its first invocation and
    flushes `metrics` after every invocation (one EMF write per invocation), even when
    the handler raises. With metrics off it returns `handler` itself: no wrapper cost."""
    if not metrics.enabled:
        return handler
    return MeasuredHandler(handler, metrics, function=function)


class MeasuredHandler(Generic[R]):
    """`invocation_metrics`' wrapper; any other attribute is the wrapped handler's
    (`close`, `app`...), so callers of the entry's `handler` see no difference."""

    def __init__(self, handler: Callable[[Any, Any], R], metrics: Metrics, *, function: str):
        self.__wrapped__ = handler
        self.metrics = metrics
        self.function = function
        self.cold = True

    def __call__(self, event: Any, context: Any) -> R:
        if self.cold:
            self.cold = False
            self.metrics.count(COLD_START, function=self.function)
        try:
            return self.__wrapped__(event, context)
        finally:
            self.metrics.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__wrapped__, name)


def elapsed_ms(started: float) -> float:
    """Milliseconds since `started` (a `time.perf_counter()` reading)."""
    return (time.perf_counter() - started) * 1000.0
