"""Two separate processes on one Redis behave as one fleet: ONE 5/minute limit and
one cache. First two `python -m local` uvicorn servers, then two Python processes each
importing `handler.lambda_http` and calling its handler, as two Lambda environments."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import free_port
from tests.support import http_event

ROOT = Path(__file__).resolve().parents[1]


def fleet_env(redis_url: str, prefix: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_", "AWS_"))}
    env.update(ENVIRONMENT="test", REDIS_URL=redis_url, REDIS_KEY_PREFIX=prefix)
    return env


def wait_ready(url: str, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{url}/health", timeout=1).raise_for_status()
            return
        except httpx.TransportError:
            assert server.poll() is None, "python -m local exited early"
            assert time.monotonic() < deadline, "python -m local did not start"
            time.sleep(0.1)


@pytest.fixture
def two_servers(redis_url: str, redis_prefix: str) -> Iterator[list[str]]:
    env = fleet_env(redis_url, redis_prefix)
    ports = [free_port(), free_port()]
    servers = [
        subprocess.Popen(
            [sys.executable, "-m", "local", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for port in ports
    ]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for url, server in zip(urls, servers, strict=True):
            wait_ready(url, server)
        yield urls
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=10)


def test_two_uvicorn_servers_share_one_limit_and_one_cache(two_servers: list[str]) -> None:
    a, b = two_servers
    computed = httpx.get(f"{a}/cached")
    seen_by_b = httpx.get(f"{b}/cached")
    assert computed.headers["x-cache"] == "MISS"
    assert seen_by_b.headers["x-cache"] == "HIT"
    assert seen_by_b.json() == computed.json()

    answers = [httpx.get(f"{url}/limited") for url in (a, b, a, b, a, b, a)]
    assert [r.status_code for r in answers] == [200] * 5 + [429, 429]
    remaining = [r.headers["x-ratelimit-remaining"] for r in answers[:5]]
    assert remaining == ["4", "3", "2", "1", "0"], "one counter, not one per server"


LAMBDA_ENVIRONMENT = textwrap.dedent(
    """
    import json, sys
    from handler.lambda_http import handler

    class Context:
        aws_request_id = "fleet"
        function_name = "http"
        memory_limit_in_mb = 512
        invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:http"

        def get_remaining_time_in_millis(self):
            return 30_000

    answers = [handler(event, Context()) for event in json.load(sys.stdin)]
    handler.close()
    print("ANSWERS " + json.dumps(answers))
    """
)


def run_lambda_environment(env: dict[str, str], events: list[dict[str, Any]]) -> list[Any]:
    done = subprocess.run(
        [sys.executable, "-c", LAMBDA_ENVIRONMENT],
        cwd=ROOT,
        env=env,
        input=json.dumps(events),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    line = next(line for line in done.stdout.splitlines() if line.startswith("ANSWERS "))
    answers: list[Any] = json.loads(line.removeprefix("ANSWERS "))
    return answers


def test_two_lambda_environments_share_one_limit_and_one_cache(
    redis_url: str, redis_prefix: str
) -> None:
    env = fleet_env(redis_url, redis_prefix)
    events = [http_event("http_api_v2", path="/cached")] + [
        http_event("http_api_v2", path="/limited") for _ in range(3)
    ]
    first = run_lambda_environment(env, events)
    second = run_lambda_environment(env, events)

    assert first[0]["headers"]["x-cache"] == "MISS"
    assert second[0]["headers"]["x-cache"] == "HIT"
    assert json.loads(second[0]["body"]) == json.loads(first[0]["body"])
    statuses = [answer["statusCode"] for answer in first[1:] + second[1:]]
    assert statuses == [200] * 5 + [429]
