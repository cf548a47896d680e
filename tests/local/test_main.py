"""`python -m local` serves the app on uvicorn with the in-memory defaults."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from websockets.asyncio.client import connect

from handler.settings import Settings
from local.__main__ import _warn_about_islands
from tests.support.chat_clients import token
from tests.support.processes import PYTHON, child_env, serving
from tests.support.servers import free_port


def test_python_m_local_serves_the_demo_routes() -> None:
    port = free_port()
    env = child_env(drop=("REDIS_", "TASK_", "AWS_"), HOST="127.0.0.1", PORT=str(port))
    command = [PYTHON, "-m", "local"]
    with serving(command, port=port, env=env, ready="/api/v1/users", startup=20) as server:
        users = httpx.get(f"{server.url}/api/v1/users", timeout=1)
        assert users.json()["users"][0]["name"] == "Patrick", "the seeded memory store"
        assert httpx.get(f"{server.url}/docs").status_code == 200
        assert httpx.get(f"{server.url}/unicorns/yolo").status_code == 418
    # uvicorn re-raises the signal after its graceful shutdown, so -SIGTERM is a clean exit.
    assert server.process.returncode in (0, -15), server.output
    assert "handler.app: shutdown" in server.output, "SIGTERM leaves the lifespan cleanly"


def test_workers_without_shared_backends_are_told_what_each_keeps_alone(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _warn_about_islands(Settings(environment="test"), 2)
    alone = capsys.readouterr().err
    assert "2 workers, each with its own users, cache, rate limits, WebSocket clients" in alone

    _warn_about_islands(Settings(environment="test", redis_url="redis://127.0.0.1:6379/0"), 2)
    assert "each with its own users (in memory)" in capsys.readouterr().err

    shared = {"redis_url": "redis://127.0.0.1:6379/0", "users_table": "users"}
    _warn_about_islands(Settings(environment="test", **shared), 2)
    assert capsys.readouterr().err == ""


def test_a_token_in_the_websocket_query_never_reaches_the_log() -> None:
    """A browser's WebSocket carries its token in `?token=`; uvicorn logs each handshake's
    path with its query, and the log gets the path with the token blanked."""
    port = free_port()
    env = child_env(drop=("REDIS_", "TASK_", "AWS_"), HOST="127.0.0.1", PORT=str(port))
    secret = token("alice")

    async def chat_once() -> None:
        url = f"ws://127.0.0.1:{port}/ws?token={secret}"
        async with connect(url, open_timeout=10) as socket:
            await socket.send("hello")
            assert "hello" in await asyncio.wait_for(socket.recv(), 10)

    with serving([PYTHON, "-m", "local"], port=port, env=env, startup=20) as server:
        asyncio.run(chat_once())
    assert "/ws?token=[redacted]" in server.output, server.output
    assert secret not in server.output
    assert secret.split(".")[2] not in server.output, "not even the signature"
