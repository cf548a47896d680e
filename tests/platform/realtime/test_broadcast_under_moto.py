"""A user's test under moto's in-process `mock_aws` can broadcast: the production sender
offers each signed request to botocore's `before-send` event, where moto answers it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from urllib.parse import quote

import boto3
import pytest
from moto import mock_aws
from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends
from moto.core import DEFAULT_ACCOUNT_ID

from handler.composition import aws_hub, task_worker
from handler.platform.realtime import Connection, broadcast
from handler.platform.settings import PlatformSettings

REGION = "us-east-1"
CALLBACK_URL = f"https://abc123defg.execute-api.{REGION}.amazonaws.com/prod"


@pytest.fixture
def mocked_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[PlatformSettings]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        boto3.client("dynamodb", region_name=REGION).create_table(
            TableName="connections",
            KeySchema=[{"AttributeName": "connectionId", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "connectionId", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        aws_hub.cache_clear()
        yield PlatformSettings(
            environment="test", connections_table="connections", ws_callback_url=CALLBACK_URL
        )
        aws_hub.cache_clear()


def posted(connection_id: str) -> bytes:
    backend = apigatewaymanagementapi_backends[DEFAULT_ACCOUNT_ID][REGION]
    # moto keys a connection by the id as it appears in the URL (boto3's posts alike).
    return backend.connections[quote(connection_id, safe="")].data


def test_a_broadcast_under_mock_aws_reaches_moto_not_the_network(
    mocked_aws: PlatformSettings,
) -> None:
    hub = aws_hub(mocked_aws)
    for n in (1, 2):
        asyncio.run(hub.join(Connection(f"conn-{n}=", str(n), time.time())))
    task_worker(mocked_aws)  # installs the AWS hub, as the worker Lambda's init does

    result = asyncio.run(broadcast("deploy done"))

    assert (result.sent, result.gone, result.failed) == (2, 0, 0)
    assert posted("conn-1=") == b"deploy done"
    assert posted("conn-2=") == b"deploy done"
