"""The demo's tasks on the AWS path under moto: the HTTP Lambda (the demo app) sends its
notification to SQS before answering, the worker Lambda (`handler.lambda_worker`) runs
what it receives. The SQS queue itself: tests/platform/tasks/."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from handler import lambda_worker
from handler.api.notification_tasks import OUTBOX, Email, send_email
from handler.app import create_app
from handler.composition import development_issuer
from handler.platform.aws.clients import INTERACTIVE, aws_client
from handler.platform.http.deps import TasksDep
from handler.platform.lambda_http.adapter import LambdaHttpAdapter
from handler.settings import Settings
from tests.support.auth import bearer
from tests.support.events import LambdaContext, load_event
from tests.support.faults import lose_answer, refuse
from tests.support.servers import free_port
from tests.support.task_queues import REGION, Aws, sqs_event


def notification_event(email: str) -> dict[str, Any]:
    event = load_event("http_api_v2_send_notification")
    token = development_issuer(Settings(environment="test")).issue("ada")
    event["headers"]["authorization"] = f"Bearer {token}"
    event["rawQueryString"] = f"email={email}"
    event["queryStringParameters"] = {"email": email}
    return event


@pytest.mark.usefixtures("worker_env")
def test_notification_through_both_lambdas_sends_the_email(
    aws: Aws, sqs_lambda_handler: LambdaHttpAdapter, lambda_context: LambdaContext
) -> None:
    OUTBOX.clear()
    response = sqs_lambda_handler(notification_event("ada@example.com"), lambda_context)

    assert response["statusCode"] == 200
    task_id = json.loads(response["body"])["task_id"]
    assert len(OUTBOX) == 0, "on the AWS path nothing runs in the HTTP function"
    messages = aws.messages(aws.queue_url)
    assert len(messages) == 1
    envelope = json.loads(messages[0]["Body"])
    assert envelope["id"] == task_id
    assert envelope["name"] == "send_email"
    assert (envelope["args"], envelope["kwargs"]) == (
        ["ada@example.com"],
        {"message": "some notification"},
    )
    assert envelope["request_id"] == "JKJaXmPLvHcESHA="  # API Gateway's request id
    assert envelope["attempt"] == 1
    assert envelope["enqueued_at"]

    result = lambda_worker.handler(sqs_event(*messages), lambda_context)

    assert result == {"batchItemFailures": []}
    assert list(OUTBOX) == [Email(to="ada@example.com", message="some notification")]


def test_invalid_email_is_refused_and_nothing_is_queued(
    aws: Aws, sqs_lambda_handler: LambdaHttpAdapter, lambda_context: LambdaContext
) -> None:
    response = sqs_lambda_handler(notification_event("not-an-email"), lambda_context)

    assert response["statusCode"] == 422
    assert aws.messages(aws.queue_url) == []


def test_deleted_queue_answers_503_and_claims_nothing(
    aws: Aws, sqs_lambda_handler: LambdaHttpAdapter, lambda_context: LambdaContext
) -> None:
    aws.sqs.delete_queue(QueueUrl=aws.queue_url)

    response = sqs_lambda_handler(notification_event("ada@example.com"), lambda_context)

    assert response["statusCode"] == 503
    body = json.loads(response["body"])
    assert body["error"] == "Task queue unavailable"
    assert "task_id" not in body
    assert response["headers"]["content-type"] == "application/json"


@pytest.mark.usefixtures("aws_env")
def test_unreachable_sqs_answers_503_locally(settings: Settings) -> None:
    closed_port = free_port()  # nothing listens there: connection refused
    app = create_app(
        settings.model_copy(
            update={
                "task_queue_url": "https://sqs.eu-west-1.amazonaws.com/123456789012/tasks",
                "aws_endpoint_url": f"http://127.0.0.1:{closed_port}",
            }
        )
    )
    with TestClient(app) as client:
        response = client.post(
            "/send-notification/",
            params={"email": "ada@example.com"},
            headers=bearer(Settings(environment="test"), "ada"),
        )

    assert response.status_code == 503
    assert response.json()["error"] == "Task queue unavailable"
    assert "task_id" not in response.text


def test_handler_error_after_add_task_queues_nothing(aws: Aws, sqs_app: FastAPI) -> None:
    @sqs_app.post("/add-then-fail")
    async def add_then_fail(tasks: TasksDep) -> None:
        tasks.add_task(send_email, "ada@example.com")
        raise RuntimeError("after add_task")

    with TestClient(sqs_app, raise_server_exceptions=False) as client:
        response = client.post("/add-then-fail")

    assert response.status_code == 500
    assert aws.messages(aws.queue_url) == []


# Faults: SQS throttling the HTTP function, and an answer lost after SQS took the batch.


def queue_client() -> Any:
    """The SQS client the app's queue uses: `aws_client` shares one per configuration
    (each test checks its fault hit, so a different client would fail it, not pass it)."""
    return aws_client("sqs", **INTERACTIVE, region=REGION, endpoint_url=None)


def test_throttled_sqs_answers_503_and_claims_nothing_queued(
    aws: Aws, sqs_lambda_handler: LambdaHttpAdapter, lambda_context: LambdaContext
) -> None:
    """SendMessageBatch refused with `RequestThrottled` (after botocore's retries): the
    client gets 503 in the one error shape, no task id, and the queue holds nothing; once
    SQS takes messages again, the same request is queued once."""
    with refuse(queue_client(), "SendMessageBatch", "RequestThrottled") as fault:
        refused = sqs_lambda_handler(notification_event("ada@example.com"), lambda_context)

    assert fault.hits == 1
    assert refused["statusCode"] == 503
    body = json.loads(refused["body"])
    assert body["error"] == "Task queue unavailable"
    assert "/send-notification/" in body["path"]
    assert "task_id" not in body
    assert aws.messages(aws.queue_url) == []
    accepted = sqs_lambda_handler(notification_event("ada@example.com"), lambda_context)
    assert accepted["statusCode"] == 200
    assert len(aws.messages(aws.queue_url)) == 1


@pytest.mark.usefixtures("worker_env")
def test_a_batch_sent_twice_after_a_lost_answer_runs_its_task_once(
    aws: Aws, sqs_lambda_handler: LambdaHttpAdapter, lambda_context: LambdaContext
) -> None:
    """SQS took the batch but its answer was lost, so botocore sent it again: two messages
    carry the same task id. The client gets 200 with that id; the worker runs it once."""
    OUTBOX.clear()
    with lose_answer(queue_client(), "SendMessageBatch") as fault:
        response = sqs_lambda_handler(notification_event("ada@example.com"), lambda_context)

    assert fault.hits == 1
    assert response["statusCode"] == 200
    messages = aws.messages(aws.queue_url)
    assert [json.loads(m["Body"])["id"] for m in messages] == [
        json.loads(response["body"])["task_id"]
    ] * 2
    result = lambda_worker.handler(sqs_event(*messages), lambda_context)
    assert result == {"batchItemFailures": []}
    assert list(OUTBOX) == [Email(to="ada@example.com", message="some notification")]
