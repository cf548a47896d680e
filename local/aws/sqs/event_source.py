"""The worker's SQS event source mapping: poll the task queue, batch, invoke, delete.

The one poller of the emulator (the worker function's pool) and of `python -m local
worker` (the worker's handler in this process, `local.aws.lambda_.in_process`).

As Lambda's mapping does (infra/tasks.py sets it up): a long poll, then more receives
until `batch_size` records or the end of the batching window; one invocation per batch
with the SQS event the worker gets on AWS; on success every record not listed in
`batchItemFailures` is deleted; a failed invocation deletes nothing. What is not deleted
comes back after the queue's visibility timeout, and the queue's redrive policy (moto
applies it on receive) moves a message received `maxReceiveCount` times to the
dead-letter queue. Up to `max_concurrency` batches are in flight at once.

boto3 has no asyncio client, and aiobotocore is not a dependency: each SQS call runs in
a daemon thread of its own (`local.aws.threads`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from local.aws.lambda_.execution import LogSink
from local.aws.lambda_.functions import write_line
from local.aws.lambda_.invoke import Failure, Invocation, Invoker
from local.aws.moto_server import sqs_client
from local.aws.sqs.records import failed_ids, to_lambda_record
from local.aws.threads import in_daemon_thread
from local.aws.topology import REGION, TASK_QUEUE

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import DeleteMessageBatchRequestEntryTypeDef, MessageTypeDef

T = TypeVar("T")
SQS_MAX_RECEIVE = 10  # ReceiveMessage and DeleteMessageBatch take at most 10


class SqsEventSource:
    """Feeds `worker` from the queue at `queue_url` until `run()` is cancelled."""

    def __init__(
        self,
        worker: Invoker,
        *,
        queue_url: str,
        endpoint_url: str,
        region: str = REGION,
        batch_size: int = TASK_QUEUE.batch_size,
        batching_window_seconds: float = TASK_QUEUE.batching_window_seconds,
        max_concurrency: int = TASK_QUEUE.max_concurrency,
        poll_seconds: int = 20,
        retry_pause_seconds: float = 1.0,
        client: SQSClient | None = None,
        log: LogSink = write_line,
    ) -> None:
        self._worker = worker
        self._queue_url = queue_url
        self._region = region
        self._batch_size = batch_size
        self._window = batching_window_seconds
        self._max_concurrency = max_concurrency
        self._poll_seconds = poll_seconds
        self._pause = retry_pause_seconds
        # The read timeout outlasts the long poll: moto answers an idle one only at its end.
        self._sqs = client or sqs_client(
            endpoint_url, region=region, read_timeout=poll_seconds + 10
        )
        self._log = log
        self.batches = 0  # invocations made (throttled retries included)
        self.deleted = 0  # records acknowledged and deleted

    async def run(self, max_polls: int | None = None) -> None:
        """Poll, gather and dispatch until cancelled (or, for tests, until `max_polls` polls
        have run and their batches finished); a failed SQS call is logged and retried
        after a pause (a restarted moto server does not end the mapping)."""
        queue_arn, visibility = await self._queue_attributes()
        slots = asyncio.Semaphore(self._max_concurrency)
        in_flight: set[asyncio.Task[None]] = set()
        polls = 0
        try:
            while max_polls is None or polls < max_polls:
                polls += 1
                await slots.acquire()
                try:
                    messages = await self._gather()
                except Exception as exc:
                    slots.release()
                    self._say(f"receive failed ({_describe(exc)}); retrying in {self._pause:g} s")
                    await asyncio.sleep(self._pause)
                    continue
                if not messages:
                    slots.release()
                    continue
                batch = asyncio.create_task(self._process(messages, queue_arn, visibility))
                in_flight.add(batch)
                batch.add_done_callback(in_flight.discard)
                batch.add_done_callback(lambda _: slots.release())
            if in_flight:
                await asyncio.wait(in_flight)
        finally:
            # Records of an unfinished batch stay on the queue: they come back after the
            # visibility timeout, as when a poller of Lambda's goes away.
            for batch in in_flight:
                batch.cancel()
            if in_flight:
                await asyncio.wait(in_flight, timeout=5)

    async def _queue_attributes(self) -> tuple[str, float]:
        while True:
            try:
                answer = await _in_thread(
                    lambda: self._sqs.get_queue_attributes(
                        QueueUrl=self._queue_url, AttributeNames=["QueueArn", "VisibilityTimeout"]
                    )
                )
                attributes = answer["Attributes"]
                return attributes["QueueArn"], float(attributes["VisibilityTimeout"])
            except Exception as exc:
                self._say(f"queue not reachable ({_describe(exc)}); retrying in {self._pause:g} s")
                await asyncio.sleep(self._pause)

    async def _gather(self) -> list[MessageTypeDef]:
        """One long poll; once something came, more receives until the batch is full or
        the batching window is over."""
        messages = await self._receive(self._batch_size, self._poll_seconds)
        if not messages:
            return []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._window
        while len(messages) < self._batch_size:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            # WaitTimeSeconds is whole seconds: under one second left, poll short and nap.
            more = await self._receive(self._batch_size - len(messages), int(remaining))
            messages.extend(more)
            if not more and remaining < 1:
                await asyncio.sleep(min(remaining, 0.1))
        return messages

    async def _receive(self, count: int, wait_seconds: int) -> list[MessageTypeDef]:
        answer = await _in_thread(
            lambda: self._sqs.receive_message(
                QueueUrl=self._queue_url,
                MaxNumberOfMessages=min(count, SQS_MAX_RECEIVE),
                WaitTimeSeconds=min(wait_seconds, 20),
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
        )
        return list(answer.get("Messages", []))

    async def _process(
        self, messages: list[MessageTypeDef], queue_arn: str, visibility: float
    ) -> None:
        records = [to_lambda_record(m, queue_arn, self._region) for m in messages]
        outcome = await self._invoke({"Records": records}, visibility / 2)
        if not outcome.ok:
            detail = f"{outcome.failure.value if outcome.failure else ''}: {outcome.detail}"
            self._say(f"batch of {len(messages)} failed ({detail}); all left on the queue")
            return
        failed = failed_ids(outcome.payload, {m["MessageId"] for m in messages})
        if failed is None:
            self._say(f"batch of {len(messages)}: invalid batchItemFailures; all left")
            return
        done = [m for m in messages if m["MessageId"] not in failed]
        await self._delete(done)
        self._say(f"batch of {len(messages)}: {len(done)} deleted, {len(failed)} left to retry")

    async def _invoke(self, event: dict[str, Any], patience: float) -> Invocation:
        """Invoke; a throttled invocation is retried (as Lambda's mapping does) while its
        records are safely in flight: up to half the visibility timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + patience
        while True:
            self.batches += 1
            outcome = await self._worker.invoke(event)
            if outcome.failure is not Failure.THROTTLED or loop.time() >= deadline:
                return outcome
            await asyncio.sleep(self._pause)

    async def _delete(self, messages: list[MessageTypeDef]) -> None:
        for start in range(0, len(messages), SQS_MAX_RECEIVE):
            chunk = messages[start : start + SQS_MAX_RECEIVE]
            entries: list[DeleteMessageBatchRequestEntryTypeDef] = [
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)
            ]
            delete = partial(
                self._sqs.delete_message_batch, QueueUrl=self._queue_url, Entries=entries
            )
            try:
                answer = await _in_thread(delete)
            except Exception as exc:
                # Not deleted: the records come back and run again (tasks are idempotent).
                self._say(f"delete failed ({_describe(exc)}); {len(chunk)} records will return")
                continue
            self.deleted += len(answer.get("Successful", []))
            for failure in answer.get("Failed", []):
                self._say(f"delete failed: {failure.get('Code')} {failure.get('Message', '')}")

    def _say(self, line: str) -> None:
        self._log(f"[sqs] {line}")


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


async def _in_thread(call: Callable[[], T]) -> T:
    return await in_daemon_thread(call, "sqs-source")
