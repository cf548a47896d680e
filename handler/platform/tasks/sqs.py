"""SQS adapters: the app's task queue and the worker's dead-letter sender.

boto3 is blocking: the queue sends from a worker thread so a local uvicorn loop keeps
serving while SQS answers. Clients are built on first use and reused.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import anyio.to_thread

from handler.platform.tasks.envelope import EncodedTask
from handler.platform.tasks.errors import TaskQueueUnavailable

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef
    from starlette.background import BackgroundTasks

logger = logging.getLogger(__name__)

BATCH_ENTRIES = 10  # SQS SendMessageBatch takes at most 10 entries
_REGION = re.compile(r"^https://sqs[.-]([a-z0-9-]+)\.amazonaws\.com")


def sqs_client(queue_url: str, endpoint_url: str | None = None) -> SQSClient:
    """A client for the queue's own region (read from its URL when it names one), with
    few, quick retries: a request waits on this call, and a 503 beats a hung client."""
    import boto3
    from botocore.config import Config

    match = _REGION.match(queue_url)
    config = Config(
        retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5
    )
    return boto3.client(
        "sqs",
        region_name=match.group(1) if match else None,
        endpoint_url=endpoint_url,
        config=config,
    )


class _LazyClient:
    def __init__(self, queue_url: str, client: SQSClient | None, endpoint_url: str | None):
        self._queue_url = queue_url
        self._client = client
        self._endpoint_url = endpoint_url
        self._lock = threading.Lock()

    @property
    def client(self) -> SQSClient:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = sqs_client(self._queue_url, self._endpoint_url)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


class SqsQueue(_LazyClient):
    """Sends a request's tasks with SendMessageBatch (10 entries and `max_batch_bytes`
    per call). Any task left unsent raises `TaskQueueUnavailable`."""

    def __init__(
        self,
        queue_url: str,
        *,
        client: SQSClient | None = None,
        endpoint_url: str | None = None,
        max_batch_bytes: int = 1_048_576,
    ) -> None:
        super().__init__(queue_url, client, endpoint_url)
        self.queue_url = queue_url
        self.max_batch_bytes = max_batch_bytes

    async def send(self, tasks: Sequence[EncodedTask], background: BackgroundTasks) -> None:
        if tasks:
            await anyio.to_thread.run_sync(self.send_now, tasks)

    def send_now(self, tasks: Sequence[EncodedTask]) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            for batch in _batches(tasks, self.max_batch_bytes):
                self._send_batch(batch)
        except (BotoCoreError, ClientError) as exc:
            raise TaskQueueUnavailable(f"SQS refused the send: {exc}") from exc

    def _send_batch(self, batch: list[EncodedTask]) -> None:
        entries: list[SendMessageBatchRequestEntryTypeDef] = [
            {"Id": task.id, "MessageBody": task.body} for task in batch
        ]
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


class SqsDeadLetters(_LazyClient):
    """Parks a message that can never succeed, with why, for a human to look at."""

    def __init__(
        self, queue_url: str, *, client: SQSClient | None = None, endpoint_url: str | None = None
    ) -> None:
        super().__init__(queue_url, client, endpoint_url)
        self.queue_url = queue_url

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
