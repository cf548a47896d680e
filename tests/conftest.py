"""Shared fixtures: settings, the local app, the Lambda adapter, real servers, Redis, and
the task path's queues under moto. Helpers live in tests/support/."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from moto import mock_aws

from handler import lambda_worker
from handler.app import create_app
from handler.platform.aws.clients import clear_clients
from handler.platform.lambda_http.adapter import LambdaHttpAdapter
from handler.platform.realtime.broadcast import install_hub
from handler.platform.realtime.fanout import install_fanout
from handler.settings import Settings, get_settings
from infra.app_tables import APP_TABLES
from tests.support.connections_api import ConnectionsApi, shared_connections_api
from tests.support.events import LambdaContext
from tests.support.redis_settings import TEST_REDIS_URL
from tests.support.require import require
from tests.support.servers import LiveServer
from tests.support.task_queues import REGION, Aws, make_aws

# Each test chooses its adapters explicitly: a developer's exported AWS or Redis settings
# must not switch the app under test (or send traffic) anywhere else.
for _name in (
    "REDIS_URL",
    "TASK_QUEUE_URL",
    "TASK_DLQ_URL",
    "CONNECTIONS_TABLE",
    "WS_CALLBACK_URL",
    "IDEMPOTENCY_TABLE",
    *(table.variable for table in APP_TABLES),
    "CURSOR_SECRET",
    "AWS_ENDPOINT_URL",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_PROFILE",
    "ENVIRONMENT",
    "LOG_FORMAT",
    "CACHE_SECRET",
    "METRICS",
    "METRICS_NAMESPACE",
    "STAGE",
    "_X_AMZN_TRACE_ID",
):
    os.environ.pop(_name, None)


@pytest.fixture(autouse=True)
def _fresh_aws_clients() -> Iterator[None]:
    """AWS clients are cached per process; each test builds its own under its own moto
    mock, region and credentials. So are the hub `broadcast()` uses and the fan-out."""
    yield
    clear_clients()
    install_hub(None)
    install_fanout(None)


@pytest.fixture
def connections_api() -> ConnectionsApi:
    """The loopback @connections API: one server per session, cleared for each test."""
    api = shared_connections_api()
    api.reset()
    return api


@pytest.fixture
def settings() -> Settings:
    return Settings(environment="test", stream_interval=0.05)


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def lambda_handler(app: FastAPI) -> Iterator[LambdaHttpAdapter]:
    adapter = LambdaHttpAdapter(app)
    yield adapter
    adapter.close()


@pytest.fixture
def lambda_context() -> LambdaContext:
    return LambdaContext()


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A Redis that answers, or a skip (a failure under REQUIRE_REDIS=1)."""
    url = TEST_REDIS_URL
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        require("REQUIRE_REDIS", f"no Redis answers at {url}: {exc}")
    return url


@pytest.fixture(scope="session")
def node_available() -> None:
    if shutil.which("node") is None:
        require("REQUIRE_NODE", "node is not installed (the CDK needs it)")


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix unique to this test; every key under it is deleted afterwards."""
    import redis

    prefix = f"test-{uuid.uuid4().hex[:12]}:"
    yield prefix
    with redis.Redis.from_url(redis_url) as client:
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)


# The task path under moto: queues, the idempotency table, the SQS-backed app, the worker.


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and a region; no real AWS endpoint is ever reachable from here."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


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
