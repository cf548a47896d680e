"""`python -m local` serves the app on uvicorn with the in-memory defaults."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[1]


def test_python_m_local_serves_the_demo_routes() -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_", "TASK_", "AWS_"))}
    env.update(HOST="127.0.0.1", PORT=str(port))
    server = subprocess.Popen(
        [sys.executable, "-m", "local"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                users = httpx.get(f"{url}/api/v1/users", timeout=1)
                break
            except httpx.TransportError:
                assert server.poll() is None, "python -m local exited early"
                assert time.monotonic() < deadline, "python -m local did not start"
                time.sleep(0.1)
        assert users.json() == {"version": "1", "users": []}
        assert httpx.get(f"{url}/docs").status_code == 200
        assert httpx.get(f"{url}/unicorns/yolo").status_code == 418
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=10)
    # uvicorn re-raises the signal after its graceful shutdown, so -SIGTERM is a clean exit.
    assert server.returncode in (0, -15), output
    assert "handler.app: shutdown" in output, "SIGTERM leaves the lifespan cleanly"
