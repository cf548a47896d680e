"""Redis killed (SIGKILL) in the middle of a burst and started again on the same port:
a real uvicorn serving the app, a `redis-server` of the test's own.

What a client sees, all the way through: no 500 and no hung request (every answer within
the Redis budget plus a margin); `/cached` answers 200 throughout (computed fresh while
Redis is down); `/limited` applies the fail policy (open: 200 without a count; closed: 503
with `Retry-After`); once Redis is back, the breaker's probe finds it and requests use it
again (counted limits, cached hits, keys in the new server).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import redis

from handler.platform.settings import PlatformSettings
from tests.support.platform_app import cache_and_limits_app
from tests.support.redis_server import RedisServer
from tests.support.require import require
from tests.support.servers import LiveServer

TIMEOUT = 0.5  # REDIS_TIMEOUT: generous for a loaded 2-core machine
BACKOFF = 0.2  # the breaker's first pause, doubled per failed probe
# A request may wait for one Redis budget (a probe), plus scheduling on a busy machine.
LATENCY_BOUND = TIMEOUT + 1.5
UP, DOWN, RECOVERY = 1.0, 1.5, 10.0  # seconds of each phase (recovery: at most)


@dataclass(frozen=True)
class Answer:
    at: float  # when it was sent, seconds since the burst began
    path: str
    status: int
    seconds: float
    headers: httpx.Headers


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    if not server.available:
        require("REQUIRE_REDIS", "redis-server is not installed")
    with server:
        yield server


async def client_loop(
    client: httpx.AsyncClient, path: str, began: float, stop: asyncio.Event, out: list[Answer]
) -> None:
    while not stop.is_set():
        sent = time.perf_counter()
        response = await client.get(path)
        done = time.perf_counter()
        out.append(Answer(sent - began, path, response.status_code, done - sent, response.headers))
        await asyncio.sleep(0.01)


def used_redis(answer: Answer) -> bool:
    """The answer shows Redis answered for it: a counted limit, or a cache hit."""
    return "x-ratelimit-remaining" in answer.headers or answer.headers.get("x-cache") == "HIT"


async def burst_through_a_restart(
    url: str, server: RedisServer
) -> tuple[list[Answer], float, float]:
    """Clients loop on /cached and /limited; Redis is killed after UP seconds and started
    again DOWN seconds later; the burst ends once both routes used Redis again (at most
    RECOVERY seconds). Returns the answers and when Redis was killed and restarted."""
    answers: list[Answer] = []
    stop = asyncio.Event()
    began = time.perf_counter()
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        loops = [
            asyncio.create_task(client_loop(client, path, began, stop, answers))
            for path in ["/cached"] * 3 + ["/limited"] * 3
        ]
        await asyncio.sleep(UP)
        await asyncio.to_thread(server.kill)
        killed = time.perf_counter() - began
        await asyncio.sleep(DOWN)
        await asyncio.to_thread(server.start)
        restarted = time.perf_counter() - began
        deadline = time.monotonic() + RECOVERY
        while time.monotonic() < deadline:
            back = {a.path for a in answers if a.at > restarted and used_redis(a)}
            if back == {"/cached", "/limited"}:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        stop.set()
        await asyncio.gather(*loops)
    return answers, killed, restarted


@pytest.mark.parametrize("fail_open", [True, False], ids=["fail-open", "fail-closed"])
def test_redis_killed_and_restarted_mid_burst(redis_server: RedisServer, fail_open: bool) -> None:
    prefix = f"test-{uuid.uuid4().hex[:12]}:"
    settings = PlatformSettings(
        environment="test",
        redis_url=redis_server.url,
        redis_key_prefix=prefix,
        redis_timeout=TIMEOUT,
        redis_backoff=BACKOFF,
        rate_limit_fail_open=fail_open,
    )
    with LiveServer(cache_and_limits_app(settings)) as live:
        answers, killed, restarted = asyncio.run(burst_through_a_restart(live.url, redis_server))

    before = [a for a in answers if a.at + a.seconds < killed]
    # Sent once Redis is surely gone (a request in flight at the kill may still finish).
    down = [a for a in answers if killed + TIMEOUT < a.at and a.at + a.seconds < restarted]
    after = [a for a in answers if a.at > restarted]
    assert before, "requests before the kill"
    assert down, "requests while Redis was down"
    assert after, "requests after the restart"

    assert all(a.status != 500 for a in answers)
    assert max(a.seconds for a in answers) < LATENCY_BOUND, "no request hung"
    cached, limited = ([a for a in answers if a.path == p] for p in ("/cached", "/limited"))
    assert {a.status for a in cached} == {200}
    assert {a.headers["x-cache"] for a in down if a.path == "/cached"} == {"MISS"}, "fresh"
    assert any(used_redis(a) for a in before)

    down_limited = [a for a in down if a.path == "/limited"]
    if fail_open:
        assert {a.status for a in limited} <= {200, 429}
        assert {a.status for a in down_limited} == {200}
        assert not any("x-ratelimit-remaining" in a.headers for a in down_limited)
    else:
        assert {a.status for a in limited} <= {200, 429, 503}
        assert {a.status for a in down_limited} == {503}
        assert all(int(a.headers["retry-after"]) >= 1 for a in down_limited)
        assert all(a.headers["content-type"] == "application/json" for a in down_limited)

    back = {a.path for a in after if used_redis(a)}
    assert back == {"/cached", "/limited"}, "the breaker let requests use Redis again"
    with redis.Redis.from_url(redis_server.url) as client:
        assert list(client.scan_iter(match=f"{prefix}*")), "the new server holds our keys"
