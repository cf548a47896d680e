"""`add_task` refuses what could never be delivered, at once and with a clear error."""

from __future__ import annotations

import json
from datetime import datetime

import boto3
import pytest
from botocore.stub import Stubber
from fastapi import BackgroundTasks
from pydantic import BaseModel

from handler.platform.tasks.envelope import TaskEnvelope
from handler.platform.tasks.errors import (
    PoisonMessage,
    TaskArgumentError,
    TaskQueueUnavailable,
    TaskTooLarge,
    UnknownTask,
)
from handler.platform.tasks.queue import InProcessQueue
from handler.platform.tasks.registry import TaskRegistry
from handler.platform.tasks.request_tasks import Tasks
from handler.platform.tasks.sqs import SqsQueue
from tests.support.task_queues import Aws

tasks = TaskRegistry()


@tasks.task(name="greet.v1")
def greet(email: str, message: str = "", *, tags: list[str] | None = None) -> None:
    pass


def not_a_task(email: str) -> None:
    pass


class Payload(BaseModel):
    x: int


def new_tasks(max_bytes: int = 1_048_576) -> Tasks:
    queue = InProcessQueue(tasks)
    return Tasks(queue, BackgroundTasks(), max_message_bytes=max_bytes, tasks=tasks)


def test_envelope_carries_id_name_arguments_time_attempt_and_request() -> None:
    pending = new_tasks()

    task_id = pending.add_task(greet, "ada@example.com", "hi", tags=("a", "b"))  # type: ignore[arg-type]

    body = json.loads(pending.pending[0].body)
    assert body["id"] == task_id
    assert body["name"] == "greet.v1"
    assert body["args"] == ["ada@example.com", "hi"]
    assert body["kwargs"] == {"tags": ["a", "b"]}, "JSON: a tuple arrives as a list"
    assert datetime.fromisoformat(body["enqueued_at"]).tzinfo is not None
    assert body["attempt"] == 1
    assert body["request_id"] is None  # outside a request
    assert pending.pending[0].body.isascii()


def test_non_json_argument_is_refused_by_name() -> None:
    with pytest.raises(TaskArgumentError, match=r"argument 'tags' of task 'greet.v1'.*set"):
        new_tasks().add_task(greet, "ada@example.com", tags={"a"})  # type: ignore[arg-type]


def test_pydantic_model_argument_gets_a_hint() -> None:
    with pytest.raises(TaskArgumentError, match=r"'message'.*model_dump\(mode='json'\)"):
        new_tasks().add_task(greet, "ada@example.com", Payload(x=1))  # type: ignore[arg-type]


def test_nan_is_refused() -> None:
    with pytest.raises(TaskArgumentError, match="'message'"):
        new_tasks().add_task(greet, "ada@example.com", float("nan"))  # type: ignore[arg-type]


def test_arguments_that_do_not_bind_are_refused() -> None:
    with pytest.raises(TaskArgumentError, match=r"greet.v1.*unexpected keyword argument 'nope'"):
        new_tasks().add_task(greet, "ada@example.com", nope=1)  # type: ignore[call-arg]


def test_unregistered_function_is_refused() -> None:
    with pytest.raises(UnknownTask, match=r"not_a_task.*decorate it with @task"):
        new_tasks().add_task(not_a_task, "ada@example.com")


def test_message_over_the_size_limit_is_refused_when_added() -> None:
    pending = new_tasks(max_bytes=2048)

    with pytest.raises(TaskTooLarge, match=r"'greet.v1' encodes to \d+ bytes.*at most 2048"):
        pending.add_task(greet, "ada@example.com", "x" * 2048)

    assert pending.pending == []


def test_size_counts_escaped_unicode() -> None:
    pending = new_tasks(max_bytes=2048)
    with pytest.raises(TaskTooLarge):
        pending.add_task(greet, "ada@example.com", "é" * 400)  # 6 bytes each once escaped


def test_a_task_name_belongs_to_one_function() -> None:
    def other(email: str) -> None:
        pass

    with pytest.raises(ValueError, match="already registered"):
        tasks.add(other, name="greet.v1")


def test_envelope_decode_names_what_is_wrong() -> None:
    with pytest.raises(PoisonMessage) as caught:
        TaskEnvelope.decode(json.dumps({"id": "x", "name": "greet.v1"}))
    assert caught.value.reason == "bad-envelope"
    assert "enqueued_at" in caught.value.detail


def send_counting_batches(aws: Aws, pending: Tasks) -> list[int]:
    """Send `pending`'s tasks to the real (moto) queue; the entries of each batch call."""
    queue = SqsQueue(aws.queue_url)
    calls: list[int] = []
    queue.client.meta.events.register(
        "provide-client-params.sqs.SendMessageBatch",
        lambda params, **_: calls.append(len(params["Entries"])),
    )
    queue.send_now(pending.pending)
    return calls


def test_sqs_queue_sends_ten_per_batch_call(aws: Aws) -> None:
    pending = new_tasks()
    for i in range(12):
        pending.add_task(greet, f"user{i}@example.com")
    calls = send_counting_batches(aws, pending)

    assert calls == [10, 2]
    bodies = [json.loads(m["Body"]) for m in aws.messages(aws.queue_url)]
    assert sorted(b["args"][0] for b in bodies) == sorted(f"user{i}@example.com" for i in range(12))


def test_sqs_batches_respect_the_total_size_limit(aws: Aws) -> None:
    pending = new_tasks()
    for _ in range(3):
        pending.add_task(greet, "ada@example.com", "x" * 400_000)
    calls = send_counting_batches(aws, pending)

    assert calls == [2, 1]
    assert len(aws.messages(aws.queue_url)) == 3


def stubbed_queue(*responses: dict[str, object]) -> tuple[SqsQueue, Stubber]:
    """SQS answering with partial failures, which moto never produces."""
    client = boto3.client("sqs", region_name="eu-west-1")
    stubber = Stubber(client)
    for response in responses:
        stubber.add_response("send_message_batch", response)
    stubber.activate()
    return SqsQueue("https://sqs.eu-west-1.amazonaws.com/1/tasks", client=client), stubber


def failed(task_id: str, *, sender_fault: bool = False) -> dict[str, object]:
    return {"Id": task_id, "SenderFault": sender_fault, "Code": "InternalError"}


def sent(task_id: str) -> dict[str, str]:
    return {"Id": task_id, "MessageId": "m-" + task_id, "MD5OfMessageBody": "x"}


@pytest.mark.usefixtures("aws_env")
def test_entries_sqs_failed_are_retried_once() -> None:
    pending = new_tasks()
    first, second = (pending.add_task(greet, f"{n}@example.com") for n in "ab")
    queue, stubber = stubbed_queue(
        {"Successful": [sent(first)], "Failed": [failed(second)]},
        {"Successful": [sent(second)], "Failed": []},
    )
    calls: list[list[str]] = []
    queue.client.meta.events.register(
        "before-parameter-build.sqs.SendMessageBatch",
        lambda params, **_: calls.append([entry["Id"] for entry in params["Entries"]]),
    )

    queue.send_now(pending.pending)

    stubber.assert_no_pending_responses()
    assert calls == [[first, second], [second]], "only the failed entry is sent again"


@pytest.mark.usefixtures("aws_env")
def test_entries_failing_twice_or_by_sender_fault_raise_unavailable() -> None:
    pending = new_tasks()
    task_id = pending.add_task(greet, "ada@example.com")
    twice, _ = stubbed_queue(
        {"Successful": [], "Failed": [failed(task_id)]},
        {"Successful": [], "Failed": [failed(task_id)]},
    )
    sender, _ = stubbed_queue({"Successful": [], "Failed": [failed(task_id, sender_fault=True)]})

    for queue in (twice, sender):
        with pytest.raises(TaskQueueUnavailable, match=r"1 task\(s\) not queued"):
            queue.send_now(pending.pending)


@tasks.task
def schedule(when: datetime, payload: Payload, *counts: int, **labels: str) -> None:
    seen.append((when, payload, counts, labels))


seen: list[object] = []


@pytest.mark.parametrize(
    ("args", "kwargs", "named"),
    [
        ((5,), {}, "argument 'email'"),
        (("ada@example.com", ["hi"]), {}, "argument 'message'"),
        (("ada@example.com",), {"tags": "a"}, "argument 'tags'"),
    ],
)
def test_arguments_of_the_wrong_type_are_refused_at_add_task(
    args: tuple[object, ...], kwargs: dict[str, object], named: str
) -> None:
    with pytest.raises(TaskArgumentError, match=named):
        new_tasks().add_task(greet, *args, **kwargs)  # type: ignore[arg-type]


def test_a_task_gets_the_types_it_declares() -> None:
    spec = tasks.spec_for(schedule)
    bound = spec.check(["2026-01-02T03:04:05+00:00", {"x": 1}, 2, 3], {"site": "a"})
    spec.call(bound)

    when, payload, counts, labels = seen[-1]  # type: ignore[misc]
    assert when == datetime.fromisoformat("2026-01-02T03:04:05+00:00")
    assert payload == Payload(x=1)
    assert counts == (2, 3)
    assert labels == {"site": "a"}
    with pytest.raises(TaskArgumentError, match="argument 'counts'"):
        spec.check(["2026-01-02T03:04:05+00:00", {"x": 1}, "2"], {})
    with pytest.raises(TaskArgumentError, match="argument 'labels'"):
        spec.check(["2026-01-02T03:04:05+00:00", {"x": 1}], {"site": 5})


def test_annotations_that_do_not_resolve_fail_at_registration() -> None:
    def broken(value: NoSuchType) -> None:  # type: ignore[name-defined]  # noqa: F821
        pass

    with pytest.raises(TypeError, match="annotations do not resolve"):
        TaskRegistry().add(broken, name="broken")
