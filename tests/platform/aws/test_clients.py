"""AWS clients: one factory, explicit budgets, the endpoint and region from settings."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from handler import composition
from handler.platform.aws.clients import aws_client, drop_connections, region_from_url
from handler.platform.realtime import Connection
from handler.platform.realtime.registries.dynamodb import DynamoDBRegistry
from handler.platform.realtime.senders.signed_http import SignedHttpSender
from handler.platform.settings import PlatformSettings
from handler.platform.tasks.sqs import SqsDeadLetters, SqsQueue
from tests.support.boto3_sender import ManagementApiSender
from tests.support.servers import LiveServer, free_port
from tests.support.snapstart import tcp_sockets

REGION = "eu-west-1"


@pytest.fixture(autouse=True)
def _aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    composition.aws_hub.cache_clear()
    yield
    composition.aws_hub.cache_clear()


@pytest.mark.parametrize(
    ("url", "region"),
    [
        ("https://sqs.eu-central-1.amazonaws.com/123456789012/tasks", "eu-central-1"),
        ("https://abc123.execute-api.us-gov-west-1.amazonaws.com/prod", "us-gov-west-1"),
        ("https://ap-south-1.queue.amazonaws.com/123456789012/tasks", "ap-south-1"),
        ("https://sqs.cn-north-1.amazonaws.com.cn/123456789012/tasks", "cn-north-1"),
        ("http://127.0.0.1:5000/123456789012/tasks", None),
        ("https://example.com/sqs.eu-west-1.amazonaws.com", None),
    ],
)
def test_region_is_read_from_aws_endpoint_urls_only(url: str, region: str | None) -> None:
    assert region_from_url(url) == region


def test_one_client_per_configuration_is_built_and_shared() -> None:
    first = aws_client("sqs", read_timeout=3.0)

    assert aws_client("sqs", read_timeout=3.0) is first
    assert aws_client("sqs", read_timeout=30.0) is not first
    assert aws_client("sqs", read_timeout=3.0, region="us-east-1") is not first


def budget(client: Any) -> tuple[float, float, str, int]:
    config = client.meta.config
    retries = config.retries
    return (
        config.connect_timeout,
        config.read_timeout,
        retries["mode"],
        retries["total_max_attempts"],
    )


def test_every_adapter_has_a_short_budget_and_the_settings_endpoint() -> None:
    endpoint = "http://127.0.0.1:4566"
    settings = PlatformSettings(
        environment="test",
        task_queue_url="https://sqs.eu-central-1.amazonaws.com/123456789012/tasks",
        task_dlq_url="https://sqs.eu-central-1.amazonaws.com/123456789012/dlq",
        idempotency_table="idempotency",
        connections_table="connections",
        ws_callback_url="https://abc123.execute-api.us-east-2.amazonaws.com/prod",
        aws_endpoint_url=endpoint,
    )
    queue = composition.task_queue(settings)
    hub = composition.aws_hub(settings)
    assert isinstance(queue, SqsQueue)
    assert isinstance(hub.registry, DynamoDBRegistry)
    assert isinstance(hub.sender, SignedHttpSender)
    reference = ManagementApiSender(settings.ws_callback_url)
    dead_letters = composition.dead_letters(settings)
    assert isinstance(dead_letters, SqsDeadLetters)
    idempotency = composition.idempotency_store(settings).client  # type: ignore[attr-defined]

    # A request or a WebSocket event waits on these: seconds, not botocore's 60 s.
    assert budget(queue.client) == (2.0, 3.0, "standard", 3)
    assert budget(hub.registry.client) == (2.0, 3.0, "standard", 3)
    assert budget(reference.client) == (2.0, 5.0, "standard", 2)
    timeout = hub.sender.http.connection_pool_kw["timeout"]
    assert (timeout.connect_timeout, timeout.read_timeout) == (2.0, 5.0)
    # The worker's calls may take longer; still bounded.
    assert budget(dead_letters.client) == (3.0, 10.0, "standard", 4)
    assert budget(idempotency) == (3.0, 10.0, "standard", 4)
    for client in (queue.client, hub.registry.client, dead_letters.client, idempotency):
        assert client.meta.endpoint_url == endpoint
    assert queue.client.meta.region_name == "eu-central-1"  # the queue's, from its URL
    assert reference.client.meta.region_name == hub.sender.region_name == "us-east-2"
    assert reference.client.meta.endpoint_url == settings.ws_callback_url


@pytest.fixture
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_connections_table_is_reached_at_aws_endpoint_url(moto_endpoint: str) -> None:
    dynamodb = boto3.client("dynamodb", endpoint_url=moto_endpoint)
    dynamodb.create_table(
        TableName="connections",
        KeySchema=[{"AttributeName": "connectionId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "connectionId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    settings = PlatformSettings(
        environment="test",
        connections_table="connections",
        ws_callback_url="https://abc123.execute-api.eu-west-1.amazonaws.com/prod",
        aws_endpoint_url=moto_endpoint,
    )

    asyncio.run(composition.aws_hub(settings).join(Connection("conn-1", "1", 0.0)))

    items = dynamodb.scan(TableName="connections")["Items"]
    assert [item["connectionId"]["S"] for item in items] == ["conn-1"]


async def _sqs_stand_in(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answers every SQS JSON call with `{}` and keeps the connection (as SQS does)."""
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    headers = [(b"content-type", b"application/x-amz-json-1.0"), (b"content-length", b"2")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"{}"})


def test_dropped_connections_close_and_the_client_connects_again() -> None:
    """Before a SnapStart snapshot: no pooled socket may survive into the restored copies."""
    with LiveServer(_sqs_stand_in) as server:
        client = aws_client("sqs", endpoint_url=server.url, region=REGION)
        queue_url = f"{server.url}/123456789012/tasks"
        client.get_queue_attributes(QueueUrl=queue_url)
        before = tcp_sockets({server.port})
        assert before  # kept alive in the client's pool
        drop_connections()
        assert tcp_sockets({server.port}) == {}
        client.get_queue_attributes(QueueUrl=queue_url)  # the same client, usable
        after = tcp_sockets({server.port})
        assert after
        assert not set(after) & set(before)
