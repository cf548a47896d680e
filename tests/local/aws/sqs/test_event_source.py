"""The worker's SQS event source mapping against a real moto server: batches, deletes,
partial failures, redrive to the dead-letter queue, and the real worker in its own
execution environment."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from local.aws.lambda_.functions import FunctionPool
from local.aws.lambda_.invoke import Failure, Invocation
from local.aws.moto_server import MotoServices, Resources, create_resources, sqs_client
from local.aws.sqs.event_source import SqsEventSource
from local.aws.topology import BASE_ENVIRONMENT, IDEMPOTENCY_TABLE, TASK_QUEUE, WORKER

# A message comes back 2 s after a failure (time enough for a slow delete on a busy
# machine) and goes to the DLQ on its third receive.
FAST_QUEUE = replace(TASK_QUEUE, visibility_timeout_seconds=2, max_receive_count=2)
Answer = Callable[[list[dict[str, Any]]], Invocation]


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    moto = MotoServices(prefix="SqsSourceTest")
    yield moto.start().endpoint_url
    moto.stop()


@pytest.fixture
def resources(endpoint: str) -> Resources:
    """A fresh queue pair per test (moto keeps one state per process)."""
    prefix = f"t{uuid.uuid4().hex[:8]}"
    return create_resources(endpoint, queue=FAST_QUEUE, tables=(IDEMPOTENCY_TABLE,), prefix=prefix)


class FakeWorker:
    """An in-process `Invoker` answering each batch with `answer(records)`."""

    name = "worker"

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.batches: list[list[dict[str, Any]]] = []

    async def invoke(self, event: dict[str, Any]) -> Invocation:
        self.batches.append(event["Records"])
        return self.answer(event["Records"])

    def bodies(self) -> list[str]:
        return [record["body"] for batch in self.batches for record in batch]


def fail_bodies(*failing: str) -> Answer:
    def answer(records: list[dict[str, Any]]) -> Invocation:
        failed = [{"itemIdentifier": r["messageId"]} for r in records if r["body"] in failing]
        return Invocation(payload={"batchItemFailures": failed})

    return answer


def send(resources: Resources, *bodies: str) -> None:
    sqs = sqs_client(resources.endpoint_url)
    for body in bodies:
        sqs.send_message(QueueUrl=resources.task_queue_url, MessageBody=body)


def queued(resources: Resources, url: str) -> int:
    """Messages on a queue, visible or in flight."""
    names: Any = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    answer = sqs_client(resources.endpoint_url).get_queue_attributes(
        QueueUrl=url, AttributeNames=names
    )
    return sum(int(value) for value in answer["Attributes"].values())


def source_for(resources: Resources, worker: Any, **options: Any) -> SqsEventSource:
    options = {"batching_window_seconds": 0.2, "poll_seconds": 1, **options}
    return SqsEventSource(
        worker,
        queue_url=resources.task_queue_url,
        endpoint_url=resources.endpoint_url,
        log=options.pop("log", lambda line: None),
        **options,
    )


async def run_until(source: SqsEventSource, done: Callable[[], bool], seconds: float = 15) -> None:
    """Run the mapping until `done()` (checked every 0.1 s), at most `seconds`."""
    running = asyncio.create_task(source.run())
    try:
        for _ in range(int(seconds * 10)):
            if done():
                return
            await asyncio.sleep(0.1)
        raise AssertionError("the event source did not get there in time")
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running


def test_records_arrive_in_one_batch_as_the_lambda_sqs_event(resources: Resources) -> None:
    send(resources, "a", "b", "c")
    worker = FakeWorker(fail_bodies())
    source = source_for(resources, worker, batching_window_seconds=0.5)
    asyncio.run(run_until(source, lambda: source.deleted == 3))
    assert len(worker.batches) == 1
    record = worker.batches[0][0]
    assert sorted(worker.bodies()) == ["a", "b", "c"]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == resources.task_queue_arn
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert queued(resources, resources.task_queue_url) == 0


def test_a_failing_record_returns_and_is_redriven_to_the_dlq(resources: Resources) -> None:
    send(resources, "ok", "fail")
    worker = FakeWorker(fail_bodies("fail"))
    source = source_for(resources, worker)
    dlq = resources.task_dlq_url
    asyncio.run(run_until(source, lambda: queued(resources, dlq) == 1))
    # Received max_receive_count times, then moved by the queue's redrive policy.
    assert worker.bodies().count("fail") == FAST_QUEUE.max_receive_count
    assert worker.bodies().count("ok") == 1
    assert queued(resources, resources.task_queue_url) == 0
    parked = sqs_client(resources.endpoint_url).receive_message(QueueUrl=dlq)["Messages"]
    assert [message["Body"] for message in parked] == ["fail"]


@pytest.mark.parametrize(
    "first",
    [
        Invocation(failure=Failure.HANDLER, detail="RuntimeError: down"),
        Invocation(failure=Failure.TIMEOUT, detail="Task timed out"),
        Invocation(payload={"batchItemFailures": [{"itemIdentifier": "not-in-the-batch"}]}),
    ],
    ids=["handler-error", "timeout", "invalid-answer"],
)
def test_a_failed_invocation_deletes_nothing(resources: Resources, first: Invocation) -> None:
    send(resources, "x")
    answers = iter([first])
    worker = FakeWorker(lambda records: next(answers, Invocation(payload=None)))
    source = source_for(resources, worker)
    asyncio.run(run_until(source, lambda: source.deleted == 1))
    assert worker.bodies() == ["x", "x"]  # it came back after the visibility timeout
    assert worker.batches[1][0]["attributes"]["ApproximateReceiveCount"] == "2"


def test_the_source_survives_a_failing_sqs_call(resources: Resources) -> None:
    class Flaky:
        """moto's client, whose first ReceiveMessage fails as a restarting server would."""

        def __init__(self) -> None:
            self.client = sqs_client(resources.endpoint_url)
            self.failed = False

        def __getattr__(self, name: str) -> Any:
            return getattr(self.client, name)

        def receive_message(self, **kwargs: Any) -> Any:
            if not self.failed:
                self.failed = True
                raise ConnectionError("moto is restarting")
            return self.client.receive_message(**kwargs)

    send(resources, "x")
    lines: list[str] = []
    worker = FakeWorker(fail_bodies())
    source = source_for(
        resources, worker, client=Flaky(), retry_pause_seconds=0.1, log=lines.append
    )
    asyncio.run(run_until(source, lambda: source.deleted == 1))
    assert any("receive failed (ConnectionError: moto is restarting)" in line for line in lines)


def envelope(name: str, *args: Any) -> str:
    return json.dumps(
        {
            "v": 1,
            "id": uuid.uuid4().hex,
            "name": name,
            "args": list(args),
            "kwargs": {},
            "enqueued_at": datetime.now(UTC).isoformat(),
        }
    )


async def with_worker(resources: Resources, lines: list[str]) -> None:
    """Run the real worker behind the mapping until it has acknowledged one message."""
    environment = {
        **BASE_ENVIRONMENT,
        "IDEMPOTENCY_TABLE": resources.table(IDEMPOTENCY_TABLE),
        "TASK_DLQ_URL": resources.task_dlq_url,
    }
    worker = FunctionPool(
        WORKER, environment, endpoint_url=resources.endpoint_url, log=lines.append
    )
    source = source_for(resources, worker)
    try:
        await run_until(source, lambda: source.deleted >= 1, seconds=20)
    finally:
        await worker.close()


def test_a_good_task_runs_once_in_the_worker_and_is_deleted(resources: Resources) -> None:
    send(resources, envelope("send_email", "ada@example.com"))
    lines: list[str] = []
    asyncio.run(with_worker(resources, lines))
    assert sum("(send_email) done in" in line for line in lines) == 1
    assert queued(resources, resources.task_queue_url) == 0
    assert queued(resources, resources.task_dlq_url) == 0


def test_a_poison_message_goes_to_the_dlq_through_the_worker(resources: Resources) -> None:
    send(resources, "not a task envelope")
    lines: list[str] = []
    dlq = resources.task_dlq_url
    asyncio.run(with_worker(resources, lines))
    parked = sqs_client(resources.endpoint_url).receive_message(
        QueueUrl=dlq, MessageAttributeNames=["All"]
    )["Messages"]
    assert parked[0]["Body"] == "not a task envelope"
    assert parked[0]["MessageAttributes"]["reason"]["StringValue"] == "bad-envelope"
    # Parked by the worker on its first receive, not by the redrive policy later.
    assert sum("REPORT" in line for line in lines) == 1
    assert queued(resources, resources.task_queue_url) == 0
