"""SQS messages as Lambda's event source mapping hands them to a function: the one record
builder of `python -m local worker` and the emulator."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import MessageTypeDef


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


def failed_ids(payload: Any, batch: set[str]) -> set[str] | None:
    """The ids a worker's answer reports as failed; None when the answer is invalid (an
    id that is empty or not in the batch): Lambda then treats the whole batch as failed."""
    if not isinstance(payload, dict) or not payload.get("batchItemFailures"):
        return set()
    ids = set()
    for item in payload["batchItemFailures"]:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not identifier or identifier not in batch:
            return None
        ids.add(identifier)
    return ids
