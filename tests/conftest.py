"""Shared fixtures: settings, the local app, the Lambda adapter, real servers, Redis."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from handler.app import create_app
from handler.platform.aws.clients import clear_clients
from handler.platform.lambda_http.adapter import LambdaHttpAdapter
from handler.platform.realtime.broadcast import install_hub
from handler.settings import Settings
from tests.connections_api import ConnectionsApi, shared_connections_api
from tests.support import EVENTS, FakeLambdaContext, load_event

__all__ = ["EVENTS", "FakeLambdaContext", "load_event"]

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
# The Redis budget of tests about what Redis holds (hits, counts): the 0.1 s default is
# met in milliseconds here, but a loaded 2-core CI machine can stall any one call past it,
# and a timed-out call fails open (a MISS, an uncounted request). Timeout behaviour is
# tested with small explicit values (tests/test_redis_down.py).
REDIS_TEST_TIMEOUT = 2.0
# The Redis the tests may use: REDIS_URL when the developer points elsewhere.
TEST_REDIS_URL = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL

# Each test chooses its adapters explicitly: a developer's exported AWS or Redis settings
# must not switch the app under test (or send traffic) anywhere else.
for _name in (
    "REDIS_URL",
    "TASK_QUEUE_URL",
    "TASK_DLQ_URL",
    "CONNECTIONS_TABLE",
    "WS_CALLBACK_URL",
    "IDEMPOTENCY_TABLE",
    "AWS_ENDPOINT_URL",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_PROFILE",
    "ENVIRONMENT",
    "LOG_FORMAT",
    "CACHE_SECRET",
):
    os.environ.pop(_name, None)


def _require(flag: str, reason: str) -> None:
    """Skip with a reason, or fail when CI says this dependency must be present."""
    if os.environ.get(flag) == "1":
        pytest.fail(f"{reason} ({flag}=1 forbids skipping)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _fresh_aws_clients() -> Iterator[None]:
    """AWS clients are cached per process; each test builds its own under its own moto
    mock, region and credentials. So is the hub `broadcast()` uses."""
    yield
    clear_clients()
    install_hub(None)


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
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LiveServer:
    """A real uvicorn server on a free loopback port, in a thread of this process."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


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
        _require("REQUIRE_REDIS", f"no Redis answers at {url}: {exc}")
    return url


@pytest.fixture(scope="session")
def node_available() -> None:
    if shutil.which("node") is None:
        _require("REQUIRE_NODE", "node is not installed (the CDK needs it)")


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


def memory_or_redis_settings(request: pytest.FixtureRequest) -> Settings:
    """For a module's `settings` fixture parametrized over ["memory", "redis"]: the same
    tests on both backends, which must behave the same."""
    if request.param == "memory":
        return Settings(environment="test", redis_url="")
    return Settings(
        environment="test",
        redis_url=request.getfixturevalue("redis_url"),
        redis_key_prefix=request.getfixturevalue("redis_prefix"),
        redis_timeout=REDIS_TEST_TIMEOUT,
    )
