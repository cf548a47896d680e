"""Two separate processes on one Redis behave as one fleet: ONE 5/minute limit and
one cache. First two `python -m local` uvicorn servers, then two Python processes each
importing `handler.lambda_http` and calling its handler, as two Lambda environments."""

from __future__ import annotations

import asyncio
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
import redis.asyncio
from fastapi.testclient import TestClient

from handler.app import create_app
from handler.platform.redis.budget import PoolExhausted, redis_budget
from handler.platform.redis.pool import open_redis_pool
from handler.settings import Settings
from tests.conftest import REDIS_TEST_TIMEOUT, LiveServer, free_port
from tests.support import http_event

ROOT = Path(__file__).resolve().parents[1]


def fleet_env(redis_url: str, prefix: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_", "AWS_"))}
    env.update(ENVIRONMENT="test", REDIS_URL=redis_url, REDIS_KEY_PREFIX=prefix)
    env.update(REDIS_TIMEOUT=str(REDIS_TEST_TIMEOUT))
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


# One process, more concurrent requests than pooled Redis connections: uvicorn serves many
# requests at once, and a busy pool must not read as Redis being down.


async def burst(url: str, count: int) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=count)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        return await asyncio.gather(*(client.get(url) for _ in range(count)))


def test_a_burst_larger_than_the_pool_keeps_the_limit(redis_url: str, redis_prefix: str) -> None:
    """Requests beyond the pool wait for a connection; a busy pool says nothing about
    Redis's health, so the limiter never fails open for it."""
    settings = Settings(
        environment="test",
        redis_url=redis_url,
        redis_key_prefix=redis_prefix,
        redis_max_connections=4,
        redis_timeout=2.0,  # generous: the wait, not this shared machine's speed, is tested
    )
    with LiveServer(create_app(settings)) as server:
        answers = asyncio.run(burst(f"{server.url}/limited", 100))
        after = httpx.get(f"{server.url}/limited")
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] * 5 + [429] * 95
    assert all("x-ratelimit-remaining" in answer.headers for answer in answers), "all counted"
    assert after.status_code == 429


def test_a_request_finding_no_free_connection_degrades_alone(
    redis_url: str, redis_prefix: str
) -> None:
    settings = Settings(
        environment="test",
        redis_url=redis_url,
        redis_key_prefix=redis_prefix,
        redis_max_connections=1,
        redis_timeout=0.2,
    )
    with TestClient(create_app(settings)) as client:
        assert client.get("/limited").headers["x-ratelimit-remaining"] == "4"
        pool = client.portal.call(client.app_state["redis_pool"].get)  # built by /limited
        held = client.portal.call(pool.get_connection)  # the one connection, busy
        try:
            starved = client.get("/limited")
            cached = client.get("/cached")
        finally:
            client.portal.call(pool.release, held)
        after = client.get("/limited")
        stored = client.get("/cached")
        hit = client.get("/cached")
    assert starved.status_code == 200, "failed open, as when Redis is down"
    assert "x-ratelimit-remaining" not in starved.headers
    assert cached.status_code == 200
    assert after.headers["x-ratelimit-remaining"] == "3", "breaker closed: counted at once"
    assert stored.headers["x-cache"] == "MISS", "the starved answer was not stored"
    assert hit.headers["x-cache"] == "HIT"


@pytest.mark.parametrize("budget", [0.1, 1.0], ids=["caller-budget-first", "pool-wait-first"])
def test_waiting_in_vain_for_a_connection_is_pool_exhausted_not_a_timeout(
    redis_url: str, budget: float
) -> None:
    settings = Settings(
        environment="test", redis_url=redis_url, redis_max_connections=1, redis_timeout=0.2
    )

    async def starve() -> None:
        async with open_redis_pool(settings) as pool:
            held = await pool.get_connection()
            try:
                async with redis_budget(budget):
                    await redis.asyncio.Redis(connection_pool=pool).ping()
            finally:
                await pool.release(held)

    with pytest.raises(PoolExhausted):
        asyncio.run(starve())
