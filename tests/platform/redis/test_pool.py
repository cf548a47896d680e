"""The environment's Redis pool under load: one process, more concurrent requests than
pooled connections. uvicorn serves many requests at once, and a busy pool must not read
as Redis being down."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import redis.asyncio
from fastapi.testclient import TestClient

from handler.platform.redis.budget import PoolExhausted, redis_budget
from handler.platform.redis.pool import open_redis_pool
from handler.platform.settings import PlatformSettings
from tests.support.platform_app import cache_and_limits_app
from tests.support.servers import LiveServer, burst


def test_a_burst_larger_than_the_pool_keeps_the_limit(redis_url: str, redis_prefix: str) -> None:
    """Requests beyond the pool wait for a connection; a busy pool says nothing about
    Redis's health, so the limiter never fails open for it."""
    settings = PlatformSettings(
        environment="test",
        redis_url=redis_url,
        redis_key_prefix=redis_prefix,
        redis_max_connections=4,
        redis_timeout=2.0,  # generous: the wait, not this shared machine's speed, is tested
    )
    with LiveServer(cache_and_limits_app(settings)) as server:
        answers = asyncio.run(burst(f"{server.url}/limited", 100))
        after = httpx.get(f"{server.url}/limited")
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] * 5 + [429] * 95
    assert all("x-ratelimit-remaining" in answer.headers for answer in answers), "all counted"
    assert after.status_code == 429


def test_a_request_finding_no_free_connection_degrades_alone(
    redis_url: str, redis_prefix: str
) -> None:
    settings = PlatformSettings(
        environment="test",
        redis_url=redis_url,
        redis_key_prefix=redis_prefix,
        redis_max_connections=1,
        redis_timeout=0.2,
    )
    with TestClient(cache_and_limits_app(settings)) as client:
        assert client.get("/limited").headers["x-ratelimit-remaining"] == "4"
        pool = client.portal.call(client.app_state["app"].redis_pool.get)  # built by /limited
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
    async def starve() -> None:
        async with open_redis_pool(redis_url, connect_timeout=0.2, max_connections=1) as pool:
            held = await pool.get_connection()
            try:
                async with redis_budget(budget):
                    await redis.asyncio.Redis(connection_pool=pool).ping()
            finally:
                await pool.release(held)

    with pytest.raises(PoolExhausted):
        asyncio.run(starve())
