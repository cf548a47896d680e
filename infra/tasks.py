"""Background tasks: SQS queue with a dead-letter queue, the worker's event source, and the
idempotency table (Powertools' default schema: partition key `id`, TTL on `expiration`)."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.functions import AppFunction
from infra.tables import ttl_table

MAX_RECEIVE_COUNT = 5
BATCH_SIZE = 10
BATCH_WINDOW = Duration.seconds(2)
# The event source's ceiling: a flood of tasks takes at most this many environments, so it
# cannot starve the HTTP function (whose capacity is also reserved in prod).
MAX_CONCURRENCY = 10
# What Powertools' DynamoDBPersistenceLayer calls on the idempotency table.
IDEMPOTENCY_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
)
WORKER_TIMEOUT = Duration.seconds(60)
# SQS's ceiling since August 2025 (it was 256 KiB). The queue and the app's own check
# (TASK_MAX_MESSAGE_BYTES, set on the HTTP function by the stack) use this one number,
# so a task the app accepts is never refused by the queue.
MAX_MESSAGE_BYTES = 1_048_576


class Tasks(Construct):
    """Queue, DLQ, idempotency table and the worker (`handler.lambda_worker.handler`)."""

    def __init__(
        self, scope: Construct, id: str, *, code: lambda_.Code, environment: Mapping[str, str]
    ) -> None:
        super().__init__(scope, id)
        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
            # Whatever the queue holds must fit here too (the worker parks messages itself).
            max_message_size_bytes=MAX_MESSAGE_BYTES,
        )
        # AWS asks for at least 6x the function timeout plus the batching window, so a
        # message being processed is not handed to a second worker.
        visibility = WORKER_TIMEOUT.to_seconds() * 6 + BATCH_WINDOW.to_seconds()
        self.queue = sqs.Queue(
            self,
            "Queue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            visibility_timeout=Duration.seconds(visibility),
            retention_period=Duration.days(4),
            max_message_size_bytes=MAX_MESSAGE_BYTES,
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dead_letter_queue, max_receive_count=MAX_RECEIVE_COUNT
            ),
        )
        self.idempotency_table = ttl_table(
            self, "IdempotencyTable", partition_key="id", ttl_attribute="expiration"
        )

        self.worker = AppFunction(
            self,
            "Worker",
            code=code,
            handler="handler.lambda_worker.handler",
            description="Runs queued tasks (SQS batches, partial failures)",
            environment=environment,
            memory_size=512,
            timeout=WORKER_TIMEOUT,
        )
        # Partial batch failures: one bad message is retried alone, not its whole batch.
        self.worker.function.add_event_source(
            event_sources.SqsEventSource(
                self.queue,
                batch_size=BATCH_SIZE,
                max_batching_window=BATCH_WINDOW,
                max_concurrency=MAX_CONCURRENCY,
                report_batch_item_failures=True,
            )
        )
