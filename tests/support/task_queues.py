"""The task path's AWS side under moto: the queue, its dead-letter queue and the
idempotency table (`Aws`, built by `make_aws` inside `mock_aws()`), and SQS events as the
worker Lambda receives them (`sqs_event` of `message`s)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3

REGION = "eu-west-1"


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
