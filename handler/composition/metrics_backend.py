"""The process's one metrics recorder (`app_metrics`)."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from handler.platform.settings import PlatformSettings

if TYPE_CHECKING:
    from handler.platform.metrics.recorder import Metrics


@lru_cache(maxsize=4)
def app_metrics(settings: PlatformSettings) -> Metrics:
    """The process's one recorder: off unless METRICS resolves to `emf` (on Lambda, batched
    until the entry flushes the invocation's)."""
    from handler.platform.metrics.recorder import build_metrics

    return build_metrics(
        emf=settings.metrics_mode == "emf",
        namespace=settings.metrics_namespace,
        service=settings.service_name,
        dimensions={"stage": settings.stage},
        batched=settings.on_lambda,
    )
