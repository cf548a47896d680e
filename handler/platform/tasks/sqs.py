"""SQS adapters: the app's task queue and the worker's dead-letter sender.

boto3 is blocking: the queue sends from a worker thread so a local uvicorn loop keeps
serving while SQS answers. Clients come from `aws_client` (built on first use, shared).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import anyio.to_thread

from handler.platform.aws.clients import (
    BACKGROUND,
    INTERACTIVE,
    ClientOptions,
    aws_client,
    region_from_url,
)
from handler.platform.metrics.names import TASKS_QUEUED
from handler.platform.metrics.recorder import NO_METRICS, Metrics
from handler.platform.runtime.trace_header import trace_header_var
from handler.platform.tasks.envelope import EncodedTask
from handler.platform.tasks.errors import TaskQueueUnavailable

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef
    from starlette.background import BackgroundTasks

logger = logging.getLogger(__name__)

BATCH_ENTRIES = 10  # SQS SendMessageBatch takes at most 10 entries


class _SqsAdapter:
    """A queue URL and its client: injected, or the shared one for `options` on first use."""

    def __init__(
        self,
        queue_url: str,
        client: SQSClient | None,
        endpoint_url: str | None,
        options: ClientOptions,
    ) -> None:
        self.queue_url = queue_url
        self._client = client
        self._options: ClientOptions = {
            **options,
            "endpoint_url": endpoint_url,
            # The queue's own region (its URL names it), whatever the environment's is.
            "region": region_from_url(queue_url),
        }

    @property
    def client(self) -> SQSClient:
        if self._client is None:
            self._client = aws_client("sqs", **self._options)
        return self._client

    def prepare(self) -> None:
        self.client  # noqa: B018 - builds the client (no request is made)

    def close(self) -> None:
        # The client may be shared (aws_client's cache): forget it, do not close it.
        self._client = None


class SqsQueue(_SqsAdapter):
    """Sends a request's tasks with SendMessageBatch (10 entries and `max_batch_bytes`
    per call). Any task left unsent raises `TaskQueueUnavailable`. Each message carries
    the request's trace header (`trace_header_var`) as its `AWSTraceHeader` system
    attribute, and each task sent counts `TasksQueued{task}`."""

    def __init__(
        self,
        queue_url: str,
        *,
        client: SQSClient | None = None,
        endpoint_url: str | None = None,
        max_batch_bytes: int = 1_048_576,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        # A request waits on this send, and a 503 beats a hung client.
        super().__init__(queue_url, client, endpoint_url, INTERACTIVE)
        self.max_batch_bytes = max_batch_bytes
        self.metrics = metrics

    async def send(self, tasks: Sequence[EncodedTask], background: BackgroundTasks) -> None:
        if tasks:
            # Read here, in the request's context (the thread gets a copy of it anyway).
            trace = trace_header_var.get()
            await anyio.to_thread.run_sync(self.send_now, tasks, trace)

    def send_now(self, tasks: Sequence[EncodedTask], trace_header: str | None = None) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            for batch in _batches(tasks, self.max_batch_bytes):
                self._send_batch(batch, trace_header)
        except (BotoCoreError, ClientError) as exc:
            raise TaskQueueUnavailable(f"SQS refused the send: {exc}") from exc
        for task in tasks:
            self.metrics.count(TASKS_QUEUED, task=task.envelope.name)

    def _send_batch(self, batch: list[EncodedTask], trace_header: str | None) -> None:
        entries: list[SendMessageBatchRequestEntryTypeDef] = [
            {"Id": task.id, "MessageBody": task.body} for task in batch
        ]
        if trace_header:
            for entry in entries:
                entry["MessageSystemAttributes"] = {
                    "AWSTraceHeader": {"DataType": "String", "StringValue": trace_header}
                }
        for attempt in (1, 2):
            response = self.client.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
            failed = response.get("Failed", [])
            if not failed:
                return
            failed_ids = {entry["Id"] for entry in failed}
            entries = [entry for entry in entries if entry["Id"] in failed_ids]
            # A sender fault (a malformed entry) fails the same way again: do not retry it.
            if attempt == 2 or any(entry["SenderFault"] for entry in failed):
                codes = sorted({entry["Code"] for entry in failed})
                raise TaskQueueUnavailable(f"{len(failed)} task(s) not queued: {codes}")


def _batches(tasks: Sequence[EncodedTask], max_bytes: int) -> Iterator[list[EncodedTask]]:
    """Groups within SendMessageBatch's limits: the sum of bodies counts, not just each."""
    batch: list[EncodedTask] = []
    size = 0
    for task in tasks:
        if batch and (len(batch) == BATCH_ENTRIES or size + len(task.body) > max_bytes):
            yield batch
            batch, size = [], 0
        batch.append(task)
        size += len(task.body)
    if batch:
        yield batch


class SqsDeadLetters(_SqsAdapter):
    """Parks a message that can never succeed, with why, for a human to look at."""

    def __init__(
        self, queue_url: str, *, client: SQSClient | None = None, endpoint_url: str | None = None
    ) -> None:
        super().__init__(queue_url, client, endpoint_url, BACKGROUND)

    def send(self, body: str, *, reason: str, detail: str, attributes: dict[str, str]) -> None:
        """Raises on any failure: the caller must then keep the message where it is."""
        values = {"reason": reason, "detail": detail[:1000], **attributes}
        message_attributes: dict[str, Any] = {
            key: {"DataType": "String", "StringValue": value}
            for key, value in values.items()
            if value
        }
        self.client.send_message(
            QueueUrl=self.queue_url, MessageBody=body, MessageAttributes=message_attributes
        )
