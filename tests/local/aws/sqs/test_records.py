"""The one record builder and the reading of `batchItemFailures`, shared by the emulator's
event source and `python -m local worker`."""

from __future__ import annotations

from typing import Any

import pytest

from local.aws.sqs.records import failed_ids, to_lambda_record


def test_a_message_becomes_the_sqs_event_record_lambda_sends() -> None:
    message: Any = {
        "MessageId": "m1",
        "ReceiptHandle": "r1",
        "Body": "{}",
        "MD5OfBody": "99914b932bd37a50b983c5e7c90ae93b",
        "Attributes": {"ApproximateReceiveCount": "1"},
        "MessageAttributes": {"task": {"StringValue": "send_email", "DataType": "String"}},
    }
    record = to_lambda_record(message, "arn:aws:sqs:us-east-1:123456789012:q", "us-east-1")
    assert record["messageId"] == "m1"
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"].endswith(":q")
    assert record["attributes"] == {"ApproximateReceiveCount": "1"}
    assert record["messageAttributes"]["task"] == {
        "stringValue": "send_email",
        "binaryValue": None,
        "dataType": "String",
    }


@pytest.mark.parametrize(
    ("payload", "failed"),
    [
        (None, set()),
        ({"batchItemFailures": []}, set()),
        ({"batchItemFailures": [{"itemIdentifier": "a"}]}, {"a"}),
        ({"batchItemFailures": [{"itemIdentifier": "z"}]}, None),  # not in the batch
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, None),
        ({"batchItemFailures": ["a"]}, None),
    ],
)
def test_batch_item_failures_are_read_as_lambda_reads_them(
    payload: Any, failed: set[str] | None
) -> None:
    assert failed_ids(payload, {"a", "b"}) == failed
