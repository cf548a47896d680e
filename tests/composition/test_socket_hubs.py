"""Which fan-out the composition root picks, and what it installs: Redis pub/sub for local
sockets with REDIS_URL, one process otherwise, none on AWS; the WebSocket Lambda never
imports the pub/sub code."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from handler.app import create_app
from handler.composition import describe, fanout_backend
from handler.platform.realtime import FanoutHub, InProcessFanout, current_fanout, current_hub
from handler.platform.realtime.fanout_redis import RedisFanout
from handler.settings import Settings
from local.__main__ import main
from tests.support.chat_clients import token
from tests.support.processes import child_env, run_python
from tests.support.redis_settings import REDIS_TEST_TIMEOUT

AWS_SOCKETS = {
    "connections_table": "connections",
    "ws_callback_url": "https://example.execute-api.eu-west-1.amazonaws.com/prod",
}


def test_redis_fanout_only_for_local_sockets_with_redis_off_lambda() -> None:
    redis = "redis://127.0.0.1:6379/0"
    assert fanout_backend(Settings(environment="test")) == "process"
    assert fanout_backend(Settings(environment="test", redis_url=redis)) == "redis"
    on_aws = Settings(environment="test", redis_url=redis, **AWS_SOCKETS)
    assert fanout_backend(on_aws) == "process"
    on_lambda = Settings(environment="test", redis_url=redis, aws_lambda_function_name="f")
    assert fanout_backend(on_lambda) == "process"
    assert "websockets=local+redis " in describe(Settings(environment="test", redis_url=redis))
    assert "websockets=local " in describe(Settings(environment="test"))


def test_the_lifespan_runs_a_redis_fanout_from_the_first_socket_on(
    redis_url: str, redis_prefix: str
) -> None:
    settings = Settings(
        environment="test",
        redis_url=redis_url,
        redis_key_prefix=redis_prefix,
        redis_timeout=REDIS_TEST_TIMEOUT,
    )
    before = current_fanout()
    with TestClient(create_app(settings)) as client:
        fanout, hub = current_fanout(), current_hub()
        assert isinstance(fanout, RedisFanout)
        assert fanout.prefix == f"{redis_prefix}fanout:"
        assert isinstance(hub, FanoutHub)
        assert hub.fanout is fanout
        assert client.get("/health").status_code == 200
        assert not fanout.connected, "no socket yet: nothing subscribes"
        with client.websocket_connect(f"/ws?token={token('alice')}") as socket:
            assert fanout.connected, "the first client is let in once subscribed"
            socket.send_text("hi")
            assert socket.receive_text() == "Client alice: hi"
    assert current_fanout() is before
    assert not fanout.connected


def test_without_redis_each_lifespan_has_a_fanout_of_its_own() -> None:
    default = current_fanout()
    with TestClient(create_app(Settings(environment="test"))):
        fanout, hub = current_fanout(), current_hub()
        assert isinstance(fanout, InProcessFanout)
        assert fanout is not default, "listeners of one app never outlive its lifespan"
        assert isinstance(hub, FanoutHub)
        assert hub.fanout is fanout
    assert current_fanout() is default


def test_the_websocket_lambda_never_imports_pub_sub() -> None:
    script = """
import sys
import handler.lambda_ws
from handler.composition import aws_hub
from handler.settings import get_settings
aws_hub(get_settings())
pub_sub = ("redis.", "handler.platform.realtime.fanout_redis")
loaded = {m for m in sys.modules if m == "redis" or m.startswith(pub_sub)}
assert not loaded, loaded
print("OK")
"""
    env = child_env(
        drop=("REDIS_", "AWS_", "CONNECTIONS_", "WS_"),
        AWS_DEFAULT_REGION="eu-west-1",
        CONNECTIONS_TABLE="connections",
        WS_CALLBACK_URL="https://example.execute-api.eu-west-1.amazonaws.com/prod",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    done = run_python("-c", script, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "OK"


def test_reload_and_workers_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--reload", "--workers", "2"])
    assert exited.value.code == 2
    assert "--reload and --workers exclude each other" in capsys.readouterr().err
