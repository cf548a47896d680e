"""Lambda entry for SQS batches of tasks -> `{"batchItemFailures": [...]}`.

No HTTP app here. The task modules are imported below by name in code: a fixed list,
so a message can only ever choose among these registered tasks.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from handler.api import (  # noqa: F401 - importing registers their tasks
    announcement_tasks,
    notification_tasks,
)
from handler.composition import app_metrics, aws_publisher, configure_logs, task_worker
from handler.platform.graphql_ws import publish_task  # noqa: F401 - registers its task
from handler.platform.graphql_ws.publishing import install_publishing
from handler.platform.metrics.names import COLD_START
from handler.platform.runtime.logs import bind_lambda_context
from handler.platform.tasks.log_context import install_task_log_filter
from handler.settings import get_settings

if TYPE_CHECKING:
    from handler.platform.tasks.worker import TaskWorker


@cache
def worker() -> TaskWorker:
    """Built on the first invocation and kept for the life of the environment."""
    settings = get_settings()
    configure_logs(settings)
    install_task_log_filter()
    install_publishing(aws_publisher(settings))  # None without SUBSCRIPTIONS_TABLE
    return task_worker(settings)


def handler(event: Any, context: Any) -> dict[str, Any]:
    cold = worker.cache_info().currsize == 0
    task_worker = worker()
    metrics = app_metrics(get_settings())
    if cold:
        metrics.count(COLD_START, function="worker")
    bind_lambda_context(context)
    try:
        return task_worker.handle(event, context)
    finally:
        metrics.flush()  # the invocation's metrics: one EMF write
