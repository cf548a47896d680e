"""The worker under moto: partial batch failures, dead letters, idempotency, logs."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest

from handler.composition import task_worker
from handler.platform.settings import PlatformSettings
from handler.platform.tasks.envelope import EncodedTask, encode_task
from handler.platform.tasks.idempotency import InMemoryPersistenceLayer
from handler.platform.tasks.registry import TaskRegistry
from handler.platform.tasks.worker import TaskWorker
from tests.support.events import LambdaContext
from tests.support.task_queues import Aws, message, sqs_event

tasks = TaskRegistry()
effects: list[Any] = []
failures_left: list[int] = []


@tasks.task
def record(value: str) -> None:
    effects.append(value)


@tasks.task
async def record_async(value: str) -> None:
    effects.append(("async", value))


@tasks.task
def explode() -> None:
    raise RuntimeError("task failed on purpose")


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


def encoded(func: Any, *args: Any, **kwargs: Any) -> EncodedTask:
    spec = tasks.spec_for(func)
    return encode_task(spec, args, kwargs, request_id="req-42", max_bytes=1_048_576)


def sqs_worker(settings: PlatformSettings) -> TaskWorker:
    return task_worker(settings, tasks=tasks)


def test_batch_fails_only_the_raising_task_and_dead_letters_poison(
    aws: Aws, sqs_settings: PlatformSettings, lambda_context: LambdaContext
) -> None:
    good = encoded(record, "ok")
    unknown = json.loads(encoded(record, "x").body) | {"name": "no_such_task"}
    bad_args = json.loads(encoded(record, "x").body) | {"args": [], "kwargs": {"nope": 1}}
    event = sqs_event(
        message("m-good", good.body),
        message("m-raise", encoded(explode).body),
        message("m-json", "{not json"),
        message("m-unknown", unknown),
        message("m-args", bad_args),
    )

    result = sqs_worker(sqs_settings).handle(event, lambda_context)

    assert result == {"batchItemFailures": [{"itemIdentifier": "m-raise"}]}
    assert effects == ["ok"]
    parked = {
        m["MessageAttributes"]["source_message_id"]["StringValue"]: m
        for m in aws.messages(aws.dlq_url)
    }
    assert sorted(parked) == ["m-args", "m-json", "m-unknown"]
    reasons = {k: m["MessageAttributes"]["reason"]["StringValue"] for k, m in parked.items()}
    assert reasons == {
        "m-json": "bad-envelope",
        "m-unknown": "unknown-task",
        "m-args": "bad-arguments",
    }
    assert "no_such_task" in parked["m-unknown"]["MessageAttributes"]["detail"]["StringValue"]
    assert parked["m-json"]["Body"] == "{not json", "the original body is kept as it came"


def test_same_message_delivered_twice_runs_its_effect_once(
    aws: Aws, sqs_settings: PlatformSettings, lambda_context: LambdaContext
) -> None:
    task = encoded(record, "once")
    worker = sqs_worker(sqs_settings)

    first = worker.handle(sqs_event(message("m-1", task.body)), lambda_context)
    # A redelivery has a new message id and receipt handle but the same body.
    again = worker.handle(
        sqs_event(message("m-2", task.body), message("m-3", task.body)), lambda_context
    )
    # A fresh execution environment (a cold start) shares only the DynamoDB table.
    elsewhere = sqs_worker(sqs_settings).handle(
        sqs_event(message("m-4", task.body)), lambda_context
    )

    assert first == again == elsewhere == {"batchItemFailures": []}
    assert effects == ["once"]
    items = aws.dynamodb.scan(TableName=aws.table)["Items"]
    assert [item["status"]["S"] for item in items] == ["COMPLETED"]
    assert items[0]["id"]["S"].startswith("task#")


def test_failed_task_runs_again_on_redelivery(
    aws: Aws, sqs_settings: PlatformSettings, lambda_context: LambdaContext
) -> None:
    failures_left.append(1)
    body = encoded(flaky, "second time lucky").body
    worker = sqs_worker(sqs_settings)

    first = worker.handle(sqs_event(message("m-1", body)), lambda_context)
    second = worker.handle(sqs_event(message("m-1", body)), lambda_context)

    assert first == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    assert second == {"batchItemFailures": []}
    assert effects == ["second time lucky"]


def test_async_task_is_awaited_by_the_worker(
    aws: Aws, sqs_settings: PlatformSettings, lambda_context: LambdaContext
) -> None:
    worker = sqs_worker(sqs_settings)
    body = encoded(record_async, "awaited").body

    assert worker.handle(sqs_event(message("m-1", body)), lambda_context) == {
        "batchItemFailures": []
    }
    assert effects == [("async", "awaited")]


def test_poison_is_kept_when_the_dead_letter_queue_refuses_it(
    aws: Aws, sqs_settings: PlatformSettings, lambda_context: LambdaContext
) -> None:
    aws.sqs.delete_queue(QueueUrl=aws.dlq_url)

    result = sqs_worker(sqs_settings).handle(
        sqs_event(message("m-json", "{not json")), lambda_context
    )

    assert result == {"batchItemFailures": [{"itemIdentifier": "m-json"}]}


def test_poison_is_kept_for_redrive_without_a_dead_letter_queue(
    lambda_context: LambdaContext,
) -> None:
    worker = TaskWorker(persistence=InMemoryPersistenceLayer(), dead_letters=None, tasks=tasks)

    result = worker.handle(sqs_event(message("m-json", "[]")), lambda_context)

    assert result == {"batchItemFailures": [{"itemIdentifier": "m-json"}]}


def test_in_memory_idempotency_runs_a_task_once(lambda_context: LambdaContext) -> None:
    worker = TaskWorker(persistence=InMemoryPersistenceLayer(), dead_letters=None, tasks=tasks)
    body = encoded(record, "memory").body

    for message_id in ("m-1", "m-2"):
        worker.handle(sqs_event(message(message_id, body)), lambda_context)

    assert effects == ["memory"]


def test_worker_logs_carry_task_and_request_ids(
    aws: Aws,
    sqs_settings: PlatformSettings,
    lambda_context: LambdaContext,
    caplog: pytest.LogCaptureFixture,
) -> None:
    worker = sqs_worker(sqs_settings)
    done, failed = encoded(record, "logged"), encoded(explode)
    caplog.set_level(logging.INFO, logger="handler.platform.tasks")

    worker.handle(sqs_event(message("m-1", done.body), message("m-2", failed.body)), lambda_context)

    by_task = {r.task_id: r for r in caplog.records if hasattr(r, "task_id")}
    assert by_task[done.id].levelno == logging.INFO
    assert by_task[failed.id].levelno == logging.ERROR
    assert by_task[failed.id].exc_info is not None
    assert {by_task[done.id].request_id, by_task[failed.id].request_id} == {"req-42"}
    assert by_task[failed.id].receive_count == "1"


def test_the_tasks_own_json_log_lines_carry_task_and_request_ids(
    lambda_context: LambdaContext,
) -> None:
    from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

    from handler.platform.tasks.log_context import install_task_log_filter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(LambdaPowertoolsFormatter(service="test"))
    chatty = logging.getLogger("tests.chatty_task")
    chatty.addHandler(handler)
    chatty.setLevel(logging.INFO)
    install_task_log_filter(chatty)
    registry = TaskRegistry()

    @registry.task
    def chat() -> None:
        chatty.info("hello from inside the task")

    worker = TaskWorker(persistence=InMemoryPersistenceLayer(), dead_letters=None, tasks=registry)
    task = encode_task(registry.get("chat"), (), {}, request_id="req-7", max_bytes=1 << 20)
    try:
        worker.handle(sqs_event(message("m-1", task.body)), lambda_context)
        chatty.info("after the task")
    finally:
        chatty.removeHandler(handler)

    inside, after = (json.loads(line) for line in stream.getvalue().splitlines())
    assert (inside["task_id"], inside["request_id"]) == (task.id, "req-7")
    assert "task_id" not in after
