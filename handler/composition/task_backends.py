"""Tasks: the queue (SQS or in-process), idempotency, dead letters, the worker."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from handler.composition.metrics_backend import app_metrics
from handler.composition.socket_hubs import aws_hub, uses_aws_websockets
from handler.platform.settings import PlatformSettings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import BasePersistenceLayer

    from handler.platform.tasks.queue import TaskQueue
    from handler.platform.tasks.registry import TaskRegistry
    from handler.platform.tasks.sqs import SqsDeadLetters
    from handler.platform.tasks.worker import TaskWorker

logger = logging.getLogger(__name__)


def task_backend(settings: PlatformSettings) -> str:
    return "sqs" if settings.task_queue_url else "in-process"


def idempotency_backend(settings: PlatformSettings) -> str:
    return "dynamodb" if settings.idempotency_table else "memory"


def task_queue(settings: PlatformSettings) -> TaskQueue:
    """SQS when TASK_QUEUE_URL is set, in-process otherwise."""
    from handler.platform.tasks.queue import InProcessQueue

    if task_backend(settings) == "in-process":
        if settings.on_lambda:
            logger.warning(
                "TASK_QUEUE_URL is unset on Lambda: tasks run in-process, before the response"
            )
        return InProcessQueue(metrics=app_metrics(settings))
    from handler.platform.tasks.sqs import SqsQueue

    # The client (boto3's import and endpoint setup: a few hundred ms) is built by the
    # first task queued, so a cold start serving other routes never imports boto3; under
    # SnapStart, by the init (build_ahead), so that the snapshot holds it.
    return SqsQueue(
        settings.task_queue_url,
        endpoint_url=settings.aws_endpoint_url or None,
        max_batch_bytes=settings.task_max_message_bytes,
        metrics=app_metrics(settings),
    )


def idempotency_store(settings: PlatformSettings) -> BasePersistenceLayer:
    """DynamoDB when IDEMPOTENCY_TABLE is set (partition key `id`), memory otherwise."""
    if idempotency_backend(settings) == "memory":
        from handler.platform.tasks.idempotency import InMemoryPersistenceLayer

        return InMemoryPersistenceLayer()
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    from handler.platform.aws.clients import BACKGROUND, ClientOptions, aws_client

    # The worker's budget: every task waits on these writes, but nobody waits on the task.
    options: ClientOptions = {**BACKGROUND, "endpoint_url": settings.aws_endpoint_url or None}
    client = aws_client("dynamodb", **options)
    return DynamoDBPersistenceLayer(table_name=settings.idempotency_table, boto3_client=client)


def dead_letters(settings: PlatformSettings) -> SqsDeadLetters | None:
    """Where the worker parks poison messages (TASK_DLQ_URL); None keeps them on the queue
    for its redrive policy."""
    if not settings.task_dlq_url:
        return None
    from handler.platform.tasks.sqs import SqsDeadLetters

    return SqsDeadLetters(settings.task_dlq_url, endpoint_url=settings.aws_endpoint_url or None)


def task_worker(settings: PlatformSettings, *, tasks: TaskRegistry | None = None) -> TaskWorker:
    """The worker Lambda's task runner (the registry's tasks, or `tasks`), and the hub its
    tasks broadcast through."""
    from handler.platform.realtime.broadcast import install_hub
    from handler.platform.tasks.registry import registry
    from handler.platform.tasks.worker import TaskWorker

    if uses_aws_websockets(settings):
        install_hub(aws_hub(settings))
    return TaskWorker(
        persistence=idempotency_store(settings),
        dead_letters=dead_letters(settings),
        tasks=tasks or registry,
        idempotency_seconds=settings.task_idempotency_seconds,
        metrics=app_metrics(settings),
    )
