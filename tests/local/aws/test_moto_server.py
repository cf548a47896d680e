"""The stack's queues and tables in moto server, with the stack's settings."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from infra.app_tables import APP_TABLES
from local.aws.moto_server import MotoServices, Resources, dynamodb_client, sqs_client
from local.aws.topology import TABLES, TASK_QUEUE, TableSpec


@pytest.fixture(scope="module")
def services() -> Iterator[tuple[MotoServices, Resources]]:
    moto = MotoServices(prefix="ServicesTest")
    resources = moto.start()
    yield moto, resources
    moto.stop()


@pytest.fixture(scope="module")
def resources(services: tuple[MotoServices, Resources]) -> Resources:
    return services[1]


def test_moto_listens_on_loopback_only(resources: Resources) -> None:
    assert resources.endpoint_url.startswith("http://127.0.0.1:")
    app_tables = {table.name for table in APP_TABLES}
    names = {spec.name for spec in TABLES}
    assert names == {"connections", "subscriptions", "idempotency", *app_tables}


def test_task_queue_has_the_stack_settings_and_redrives_to_the_dlq(resources: Resources) -> None:
    sqs = sqs_client(resources.endpoint_url)
    queue = sqs.get_queue_attributes(QueueUrl=resources.task_queue_url, AttributeNames=["All"])
    attributes = queue["Attributes"]
    assert attributes["VisibilityTimeout"] == str(TASK_QUEUE.visibility_timeout_seconds) == "362"
    assert attributes["MaximumMessageSize"] == str(TASK_QUEUE.max_message_bytes)
    assert attributes["MessageRetentionPeriod"] == str(4 * 24 * 3600)
    assert json.loads(attributes["RedrivePolicy"]) == {
        "deadLetterTargetArn": resources.task_dlq_arn,
        "maxReceiveCount": TASK_QUEUE.max_receive_count,
    }
    dlq = sqs.get_queue_attributes(QueueUrl=resources.task_dlq_url, AttributeNames=["All"])
    assert dlq["Attributes"]["QueueArn"] == resources.task_dlq_arn
    assert dlq["Attributes"]["MessageRetentionPeriod"] == str(14 * 24 * 3600)
    assert dlq["Attributes"]["MaximumMessageSize"] == str(TASK_QUEUE.max_message_bytes)
    assert resources.task_queue_url.endswith("/" + resources.task_queue_name)


@pytest.mark.parametrize("spec", TABLES, ids=[spec.name for spec in TABLES])
def test_tables_are_on_demand_with_a_string_key_and_their_ttl(
    resources: Resources, spec: TableSpec
) -> None:
    name = resources.table(spec)
    dynamodb = dynamodb_client(resources.endpoint_url)
    table = dynamodb.describe_table(TableName=name)["Table"]
    keys = [{"AttributeName": spec.partition_key, "KeyType": "HASH"}]
    if spec.sort_key:
        keys.append({"AttributeName": spec.sort_key, "KeyType": "RANGE"})
    assert table["KeySchema"] == keys
    named = (spec.partition_key, spec.sort_key, spec.index[1] if spec.index else None)
    attributes = sorted(name for name in named if name is not None)
    assert sorted(a["AttributeName"] for a in table["AttributeDefinitions"]) == attributes
    assert {a["AttributeType"] for a in table["AttributeDefinitions"]} == {"S"}
    indexes = [(i["IndexName"], i["KeySchema"]) for i in table.get("GlobalSecondaryIndexes", [])]
    assert indexes == (
        [(spec.index[0], [{"AttributeName": spec.index[1], "KeyType": "HASH"}])]
        if spec.index
        else []
    )
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    if spec.ttl_attribute is None:
        assert ttl == {"TimeToLiveStatus": "DISABLED"}
    else:
        assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": spec.ttl_attribute}


def test_stop_frees_the_port() -> None:
    moto = MotoServices(prefix="StopTest")
    resources = moto.start()
    moto.stop()
    with pytest.raises(httpx.TransportError):
        httpx.get(resources.endpoint_url, timeout=2)
