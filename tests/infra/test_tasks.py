"""Tasks: queue + DLQ with redrive, SSE and TLS-only; visibility >= 6x the worker timeout;
the worker's event source reports partial batch failures; the idempotency table."""

from __future__ import annotations

from typing import Any

from tests.infra.helpers import function, of_type, references


def _queues(resources: dict[str, Any]) -> tuple[tuple[str, Any], tuple[str, Any]]:
    queues = of_type(resources, "AWS::SQS::Queue")
    (main,) = [
        (k, v["Properties"]) for k, v in queues.items() if "RedrivePolicy" in v["Properties"]
    ]
    (dlq,) = [(k, v["Properties"]) for k, v in queues.items() if k != main[0]]
    return main, dlq


def test_queue_redrives_to_the_dlq_after_at_least_five_receives(
    resources: dict[str, Any],
) -> None:
    (_, queue), (dlq_id, _) = _queues(resources)
    redrive = queue["RedrivePolicy"]
    assert redrive["maxReceiveCount"] >= 5
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": [dlq_id, "Arn"]}


def test_both_queues_are_encrypted_and_refuse_plain_http(resources: dict[str, Any]) -> None:
    (queue_id, queue), (dlq_id, dlq) = _queues(resources)
    assert queue["SqsManagedSseEnabled"] is True
    assert dlq["SqsManagedSseEnabled"] is True
    denied: set[str] = set()
    for policy in of_type(resources, "AWS::SQS::QueuePolicy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Effect"] == "Deny" and statement["Condition"] == {
                "Bool": {"aws:SecureTransport": "false"}
            }:
                denied |= references(policy["Properties"]["Queues"])
    assert denied == {queue_id, dlq_id}


def test_visibility_timeout_is_at_least_six_worker_timeouts(resources: dict[str, Any]) -> None:
    (_, queue), _ = _queues(resources)
    _, worker = function(resources, "worker")
    assert queue["VisibilityTimeout"] >= 6 * worker["Timeout"]


def test_worker_consumes_batches_with_partial_failures(resources: dict[str, Any]) -> None:
    (queue_id, _), _ = _queues(resources)
    worker_id, _ = function(resources, "worker")
    (mapping,) = [
        v["Properties"] for v in of_type(resources, "AWS::Lambda::EventSourceMapping").values()
    ]
    assert references(mapping["EventSourceArn"]) == {queue_id}
    assert references(mapping["FunctionName"]) == {worker_id}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert 1 <= mapping["BatchSize"] <= 10
    assert mapping["MaximumBatchingWindowInSeconds"] >= 1
    assert mapping["ScalingConfig"]["MaximumConcurrency"] >= 2


def test_idempotency_table_uses_powertools_schema(template: Any) -> None:
    template.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
            "TimeToLiveSpecification": {"AttributeName": "expiration", "Enabled": True},
        },
    )


def test_worker_knows_the_dlq_and_the_idempotency_table(resources: dict[str, Any]) -> None:
    _, (dlq_id, _) = _queues(resources)
    _, worker = function(resources, "worker")
    env = worker["Environment"]["Variables"]
    assert env["TASK_DLQ_URL"] == {"Ref": dlq_id}
    table = [
        key
        for key, value in of_type(resources, "AWS::DynamoDB::Table").items()
        if value["Properties"]["KeySchema"][0]["AttributeName"] == "id"
    ]
    assert env["IDEMPOTENCY_TABLE"] == {"Ref": table[0]}


def test_http_function_sends_to_the_queue(resources: dict[str, Any]) -> None:
    (queue_id, _), _ = _queues(resources)
    _, http = function(resources, "http")
    assert http["Environment"]["Variables"]["TASK_QUEUE_URL"] == {"Ref": queue_id}


def test_queue_and_app_share_one_message_size_limit(resources: dict[str, Any]) -> None:
    """The app refuses a task above TASK_MAX_MESSAGE_BYTES; the queue refuses a message
    above MaximumMessageSize: one number, SQS's ceiling, for both (and for the DLQ)."""
    from handler.settings import Settings

    (_, queue), (_, dlq) = _queues(resources)
    _, http = function(resources, "http")
    limit = int(http["Environment"]["Variables"]["TASK_MAX_MESSAGE_BYTES"])
    assert limit == queue["MaximumMessageSize"] == dlq["MaximumMessageSize"] == 1_048_576
    assert Settings(task_max_message_bytes=limit).task_max_message_bytes == limit


def test_only_the_sender_is_told_the_limit(resources: dict[str, Any]) -> None:
    for name in ("worker", "ws", "stream"):
        _, props = function(resources, name)
        assert "TASK_MAX_MESSAGE_BYTES" not in props["Environment"]["Variables"], name
