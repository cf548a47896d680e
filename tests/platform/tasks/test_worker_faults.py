"""The worker when DynamoDB throttles its idempotency table (under moto, with the error
injected past botocore's own retries): a task is never lost and never runs twice.

SQS redelivers a batch item failure after the queue's visibility timeout (6x the worker's
timeout), so by then the in-progress record of the first attempt has expired: the tests
replay the redelivery after a short invocation deadline has passed.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest

from handler.composition import idempotency_store
from handler.platform.settings import PlatformSettings
from handler.platform.tasks.envelope import encode_task
from handler.platform.tasks.registry import TaskRegistry
from handler.platform.tasks.worker import TaskWorker
from tests.support.events import LambdaContext
from tests.support.faults import refuse
from tests.support.task_queues import Aws, message, sqs_event

THROTTLED = "ProvisionedThroughputExceededException"
# The first attempt's invocation deadline: its in-progress record expires with it.
DEADLINE_MS = 200

tasks = TaskRegistry()
effects: list[str] = []
failures_left: list[int] = []


@tasks.task
def record(value: str) -> None:
    effects.append(value)


@tasks.task
def flaky(value: str) -> None:
    if failures_left:
        failures_left.pop()
        raise RuntimeError("transient")
    effects.append(value)


@pytest.fixture(autouse=True)
def _clean() -> None:
    effects.clear()
    failures_left.clear()


def body_of(value: str, task: str = "record") -> str:
    return encode_task(tasks.get(task), (value,), {}, request_id="req-1", max_bytes=1 << 20).body


def worker_and_table(settings: PlatformSettings) -> tuple[TaskWorker, Any]:
    store = idempotency_store(settings)
    worker = TaskWorker(persistence=store, dead_letters=None, tasks=tasks)
    return worker, store.client  # type: ignore[attr-defined]


def short_deadline() -> LambdaContext:
    return LambdaContext(timeout_ms=DEADLINE_MS)


def redelivered_later(worker: TaskWorker, body: str) -> dict[str, Any]:
    """SQS's redelivery, after the first attempt's deadline (and its in-progress record)."""
    time.sleep(DEADLINE_MS / 1000 + 0.1)
    return worker.handle(sqs_event(message("m-1", body)), LambdaContext())


def test_a_throttled_start_record_leaves_the_task_for_a_retry_that_runs_it_once(
    aws: Aws, sqs_settings: PlatformSettings
) -> None:
    """PutItem (the in-progress record) throttled: the task does not run and its message
    is a batch item failure, so SQS delivers it again; that delivery runs it once, and a
    duplicate of it after that finds the task done."""
    worker, table = worker_and_table(sqs_settings)
    body = body_of("started late")

    with refuse(table, "PutItem", THROTTLED) as fault:
        first = worker.handle(sqs_event(message("m-1", body)), LambdaContext())

    assert fault.hits == 1
    assert first == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    assert effects == []
    again = worker.handle(sqs_event(message("m-2", body)), LambdaContext())
    duplicate = worker.handle(sqs_event(message("m-3", body)), LambdaContext())
    assert again == duplicate == {"batchItemFailures": []}
    assert effects == ["started late"]


def test_a_throttled_success_record_does_not_run_the_task_twice(
    aws: Aws, sqs_settings: PlatformSettings, caplog: pytest.LogCaptureFixture
) -> None:
    """The task ran, then UpdateItem (its COMPLETED record) was throttled. The message is
    acknowledged, not failed: a retry would find only an expired in-progress record and run
    the task again. An ERROR line says the record is missing."""
    worker, table = worker_and_table(sqs_settings)
    body = body_of("ran once")

    with refuse(table, "UpdateItem", THROTTLED) as fault:
        first = worker.handle(
            sqs_event(message("m-1", body)), LambdaContext(timeout_ms=DEADLINE_MS)
        )

    assert fault.hits == 1
    assert effects == ["ran once"]
    # Acknowledged: SQS deletes the message. Were it failed, SQS would deliver it again
    # after the visibility timeout, when the in-progress record has expired: a second run.
    assert first == {"batchItemFailures": []}
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "completion was not recorded" in errors[0]


def test_a_throttled_delete_after_a_failed_task_retries_it_later(
    aws: Aws, sqs_settings: PlatformSettings, caplog: pytest.LogCaptureFixture
) -> None:
    """The task raised, and DeleteItem (freeing its key for the retry) was throttled: the
    message is a batch item failure; the in-progress record blocks the key until the
    first attempt's deadline, then the redelivery runs the task."""
    failing: list[bool] = [True]
    registry = TaskRegistry()

    @registry.task
    def flaky(value: str) -> None:
        if failing.pop() if failing else False:
            raise RuntimeError("transient")
        effects.append(value)

    store = idempotency_store(sqs_settings)
    worker = TaskWorker(persistence=store, dead_letters=None, tasks=registry)
    body = encode_task(
        registry.get("flaky"), ("second try",), {}, request_id="r", max_bytes=1 << 20
    )

    with refuse(store.client, "DeleteItem", THROTTLED):  # type: ignore[attr-defined]
        first = worker.handle(
            sqs_event(message("m-1", body.body)), LambdaContext(timeout_ms=DEADLINE_MS)
        )
    too_soon = worker.handle(sqs_event(message("m-1", body.body)), LambdaContext())
    later = redelivered_later(worker, body.body)

    assert first == too_soon == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    assert later == {"batchItemFailures": []}
    assert effects == ["second try"]
