"""Fixtures for the task tests: moto queues and table, the SQS-backed app, the worker."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from fastapi import FastAPI
from moto import mock_aws

from handler import lambda_worker
from handler.app import create_app
from handler.platform.lambda_http.adapter import LambdaHttpAdapter
from handler.settings import Settings, get_settings

REGION = "eu-west-1"


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and a region; no real AWS endpoint is ever reachable from here."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@dataclass
class Aws:
    sqs: Any
    dynamodb: Any
    queue_url: str
    dlq_url: str
    table: str

    def messages(self, url: str) -> list[dict[str, Any]]:
        """Everything on a queue, each received once (visibility 0 would repeat them)."""
        found: list[dict[str, Any]] = []
        while True:
            got = self.sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=10,
                MessageAttributeNames=["All"],
                MessageSystemAttributeNames=["All"],
                VisibilityTimeout=30,
            ).get("Messages", [])
            if not got:
                return found
            found.extend(got)


def make_aws() -> Aws:
    sqs = boto3.client("sqs", region_name=REGION)
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    dlq_url = sqs.create_queue(QueueName="tasks-dlq")["QueueUrl"]
    queue_url = sqs.create_queue(QueueName="tasks")["QueueUrl"]
    dynamodb.create_table(
        TableName="idempotency",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return Aws(sqs, dynamodb, queue_url, dlq_url, "idempotency")


@pytest.fixture
def aws(aws_env: None) -> Iterator[Aws]:
    with mock_aws():
        yield make_aws()


@pytest.fixture
def sqs_settings(aws: Aws) -> Settings:
    return Settings(
        environment="test",
        task_queue_url=aws.queue_url,
        task_dlq_url=aws.dlq_url,
        idempotency_table=aws.table,
    )


@pytest.fixture
def sqs_app(sqs_settings: Settings) -> FastAPI:
    return create_app(sqs_settings)


@pytest.fixture
def sqs_lambda_handler(sqs_app: FastAPI) -> Iterator[LambdaHttpAdapter]:
    adapter = LambdaHttpAdapter(sqs_app)
    yield adapter
    adapter.close()


@pytest.fixture
def worker_env(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """`handler.lambda_worker.handler` configured by the environment, as on Lambda, and
    built now (in setup) so its logging setup does not drop pytest's capture handler."""
    monkeypatch.setenv("TASK_QUEUE_URL", aws.queue_url)
    monkeypatch.setenv("TASK_DLQ_URL", aws.dlq_url)
    monkeypatch.setenv("IDEMPOTENCY_TABLE", aws.table)
    get_settings.cache_clear()
    lambda_worker.worker.cache_clear()
    lambda_worker.worker()
    yield
    get_settings.cache_clear()
    lambda_worker.worker.cache_clear()


def sqs_event(*messages: dict[str, Any], queue_arn: str = "") -> dict[str, Any]:
    """ReceiveMessage results (or hand-made `{"MessageId", "Body"}`) as a Lambda SQS event."""
    arn = queue_arn or f"arn:aws:sqs:{REGION}:123456789012:tasks"
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m.get("ReceiptHandle", "handle-" + m["MessageId"]),
                "body": m["Body"],
                "attributes": m.get("Attributes", {"ApproximateReceiveCount": "1"}),
                "messageAttributes": {},
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": arn,
                "awsRegion": REGION,
            }
            for m in messages
        ]
    }


def message(message_id: str, body: dict[str, Any] | str) -> dict[str, Any]:
    return {"MessageId": message_id, "Body": body if isinstance(body, str) else json.dumps(body)}
