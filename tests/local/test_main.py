"""`python -m local` serves the app on uvicorn with the in-memory defaults."""

from __future__ import annotations

import httpx
import pytest

from handler.settings import Settings
from local.__main__ import _warn_about_islands
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
