"""The AWS path under moto: the HTTP Lambda sends to SQS before answering, the worker
Lambda runs what it receives."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from handler import lambda_worker
from handler.api.notification_tasks import OUTBOX, Email, send_email
from handler.app import create_app
from handler.platform.http.deps import TasksDep
from handler.platform.lambda_http.adapter import LambdaHttpAdapter
from handler.settings import Settings
from tests.support.events import LambdaContext, load_event
from tests.support.servers import free_port
from tests.support.task_queues import Aws, sqs_event


def notification_event(email: str) -> dict[str, Any]:
    event = load_event("http_api_v2_send_notification")
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
        response = client.post("/send-notification/", params={"email": "ada@example.com"})

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
