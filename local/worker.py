"""`python -m local worker`: the AWS task path on a laptop.

Long-polls TASK_QUEUE_URL (moto server or LocalStack through AWS_ENDPOINT_URL), hands
each batch to `handler.lambda_worker.handler` as the SQS event Lambda would send, and
deletes what it acknowledged. Batch item failures stay on the queue and come back after
the visibility timeout, as with Lambda's event source mapping.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from handler.settings import Settings
from local.lambda_context import LambdaContext

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import DeleteMessageBatchRequestEntryTypeDef, MessageTypeDef

logger = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def to_lambda_record(message: MessageTypeDef, queue_arn: str, region: str) -> dict[str, Any]:
    """A ReceiveMessage result in the shape of an SQS event record."""
    attributes = {
        name: {
            "stringValue": value.get("StringValue"),
            "binaryValue": value.get("BinaryValue"),
            "dataType": value["DataType"],
        }
        for name, value in message.get("MessageAttributes", {}).items()
    }
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": attributes,
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


class Poller:
    def __init__(self, client: SQSClient, queue_url: str, handler: Handler) -> None:
        self.client = client
        self.queue_url = queue_url
        self.handler = handler
        arn = client.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
        self.queue_arn = arn["Attributes"]["QueueArn"]
        self.region = client.meta.region_name

    def poll_once(self, wait_seconds: int = 20, batch_size: int = 10) -> tuple[int, int]:
        """One long poll and one batch: returns (received, acknowledged)."""
        received = self.client.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=batch_size,
            WaitTimeSeconds=wait_seconds,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = received.get("Messages", [])
        if not messages:
            return 0, 0
        records = [to_lambda_record(m, self.queue_arn, self.region) for m in messages]
        result = self.handler({"Records": records}, LambdaContext(function_name="worker"))
        failed = {item["itemIdentifier"] for item in result.get("batchItemFailures", [])}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            entries: list[DeleteMessageBatchRequestEntryTypeDef] = [
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)
            ]
            self.client.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)
        logger.info("batch of %d: %d done, %d to retry", len(messages), len(done), len(failed))
        return len(messages), len(done)


def poller_client(settings: Settings, wait_seconds: int) -> SQSClient:
    """An SQS client whose read timeout outlasts the long poll: the server answers an idle
    ReceiveMessage only after `wait_seconds`."""
    from handler.platform.aws.clients import BACKGROUND, ClientOptions, aws_client, region_from_url

    options: ClientOptions = {
        **BACKGROUND,
        "read_timeout": wait_seconds + 10,
        "endpoint_url": settings.aws_endpoint_url or None,
        "region": region_from_url(settings.task_queue_url),
    }
    return aws_client("sqs", **options)


def run(settings: Settings, *, wait_seconds: int = 20, max_polls: int | None = None) -> None:
    """Poll until interrupted (or `max_polls` polls, for tests)."""
    if not settings.task_queue_url:
        raise SystemExit("python -m local worker needs TASK_QUEUE_URL (and AWS_ENDPOINT_URL)")
    from handler import lambda_worker

    client = poller_client(settings, wait_seconds)
    poller = Poller(client, settings.task_queue_url, lambda_worker.handler)
    logger.info("polling %s", settings.task_queue_url)
    polls = 0
    while max_polls is None or polls < max_polls:
        polls += 1
        try:
            poller.poll_once(wait_seconds)
        except Exception:
            # Keep polling: a local worker should survive a restarted moto or LocalStack.
            logger.exception("poll failed; retrying in 1 s")
            time.sleep(1)
