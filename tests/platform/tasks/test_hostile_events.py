"""The worker given events SQS never sends: any JSON value, and a recorded batch with
parts replaced or removed (the event's structure and the envelopes in the bodies). It
never raises, and it loses nothing: every record it can identify is either acknowledged
(its task ran, or it was dead-lettered) or reported as a batch item failure."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handler import lambda_worker
from handler.platform.tasks.envelope import TaskEnvelope, encode_task
from handler.platform.tasks.errors import PoisonMessage
from handler.platform.tasks.idempotency import InMemoryPersistenceLayer
from handler.platform.tasks.log_context import current_task_var
from handler.platform.tasks.registry import TaskRegistry
from handler.platform.tasks.worker import TaskWorker
from tests.support.events import LambdaContext
from tests.support.hostile import hostile, json_values, mutated
from tests.support.task_queues import message, sqs_event

tasks = TaskRegistry()
ran: set[str] = set()


@tasks.task
def record(value: str, times: int = 1) -> None:
    task = current_task_var.get()
    assert task is not None
    ran.add(task.id)


class DeadLetters:
    def __init__(self) -> None:
        self.parked: dict[str, str] = {}

    def send(self, body: str, *, reason: str, detail: str, attributes: dict[str, str]) -> None:
        self.parked[attributes["source_message_id"]] = reason


def body(value: str) -> str:
    spec = tasks.spec_for(record)
    return encode_task(spec, (value,), {}, request_id="r-1", max_bytes=1_048_576).body


BATCH = sqs_event(*(message(f"m-{n}", body(f"v{n}")) for n in range(3)))


@st.composite
def hostile_batches(draw: st.DrawFn) -> Any:
    """The recorded batch, its structure mutated, or one body's envelope mutated."""
    if draw(st.booleans()):
        return draw(mutated(BATCH))
    event = json.loads(json.dumps(BATCH))
    record_ = draw(st.sampled_from(event["Records"]))
    record_["body"] = json.dumps(draw(mutated(json.loads(record_["body"]))))
    return event


def identifiable(event: Any) -> list[dict[str, Any]]:
    """The records a batch item failure could name: SQS message ids are short text."""
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list):
        return []
    return [r for r in records if isinstance(r, dict) and _message_id(r.get("messageId"))]


def _message_id(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 256


def task_id(record_: dict[str, Any]) -> str | None:
    try:
        return TaskEnvelope.decode(record_["body"]).id
    except (PoisonMessage, TypeError, KeyError):
        return None


@hostile(400)
@given(event=hostile_batches())
def test_a_mutated_batch_loses_nothing(event: Any) -> None:
    ran.clear()
    dead = DeadLetters()
    worker = TaskWorker(persistence=InMemoryPersistenceLayer(), dead_letters=dead, tasks=tasks)

    result = worker.handle(event, LambdaContext())

    json.dumps(result)
    reported = {failure["itemIdentifier"] for failure in result["batchItemFailures"]}
    records = identifiable(event)
    assert reported <= {r["messageId"] for r in records}
    for record_ in records:
        if record_["messageId"] in reported or record_["messageId"] in dead.parked:
            continue
        # Acknowledged: so its task ran (in this batch: ids repeat when a body is copied).
        assert task_id(record_) in ran, record_


@hostile(200)
@given(event=json_values)
def test_the_worker_entry_takes_any_json_value(worker_env: None, event: Any) -> None:
    result = lambda_worker.handler(event, LambdaContext())
    assert result == {"batchItemFailures": []}


@pytest.mark.parametrize(
    ("records", "reported"),
    [
        (5, []),
        ("m-1", []),
        ([None, 5, "x"], []),
        ([{"messageId": "m-1", "body": {"v": 1}}], ["m-1"]),
        ([{"messageId": "m-1", "body": "x", "attributes": "none"}], ["m-1"]),
        ([{"messageId": ["m-1"], "body": "x"}], []),
        ([{"messageId": "", "body": "x"}, {"messageId": "m" * 300, "body": "x"}], []),
        ([{"body": "x"}, {"messageId": "m-2", "body": 5}], ["m-2"]),
    ],
)
def test_records_of_the_wrong_type(
    caplog: pytest.LogCaptureFixture, records: Any, reported: list[str]
) -> None:
    worker = TaskWorker(persistence=InMemoryPersistenceLayer(), dead_letters=None, tasks=tasks)

    result = worker.handle({"Records": records}, LambdaContext())

    assert result == {"batchItemFailures": [{"itemIdentifier": i} for i in reported]}
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1


def test_an_argument_of_the_wrong_type_is_dead_lettered_at_once() -> None:
    ran.clear()
    dead = DeadLetters()
    worker = TaskWorker(persistence=InMemoryPersistenceLayer(), dead_letters=dead, tasks=tasks)
    envelope = json.loads(body("ok"))
    wrong = [
        message("m-str", json.dumps({**envelope, "id": "t1", "args": [5]})),
        message("m-int", json.dumps({**envelope, "id": "t2", "kwargs": {"times": "2"}})),
        message("m-ok", json.dumps({**envelope, "id": "t3", "kwargs": {"times": 2}})),
    ]

    result = worker.handle(sqs_event(*wrong), LambdaContext())

    assert result == {"batchItemFailures": []}
    assert dead.parked == {"m-str": "bad-arguments", "m-int": "bad-arguments"}
    assert ran == {"t3"}
