"""Both `SubscriptionStore` adapters (memory; DynamoDB under moto, with the stack's key
schema and index), and a schema's `Operations` that counts its executions."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from handler.composition import graphql_operations
from handler.platform.graphql_ws.dynamodb_store import DynamoDBSubscriptionStore
from handler.platform.graphql_ws.memory_store import MemorySubscriptionStore
from handler.platform.graphql_ws.subscription_store import SubscriptionStore
from handler.settings import Settings
from tests.support.counted_operations import CountedOperations

SUBSCRIPTIONS_TABLE = "subscriptions"
REGION = "eu-west-1"


def create_subscriptions_table() -> None:
    """The stack's subscriptions table, in the current (moto) account and region."""
    boto3.client("dynamodb").create_table(
        TableName=SUBSCRIPTIONS_TABLE,
        KeySchema=[
            {"AttributeName": "connectionId", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "connectionId", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "topic", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "byTopic",
                "KeySchema": [{"AttributeName": "topic", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )


@pytest.fixture
def moto_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        create_subscriptions_table()
        yield


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> SubscriptionStore:
    if request.param == "memory":
        return MemorySubscriptionStore()
    request.getfixturevalue("moto_aws")
    return DynamoDBSubscriptionStore(SUBSCRIPTIONS_TABLE, client=boto3.client("dynamodb"))


@pytest.fixture
def operations() -> CountedOperations:
    return CountedOperations(graphql_operations(Settings(environment="test")))
