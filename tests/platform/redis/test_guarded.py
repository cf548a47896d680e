"""The guarded call with Redis refusing, hung, or gone: `/cached` still answers,
`/limited` follows the fail policy, the added latency stays within REDIS_TIMEOUT, and
Redis is not hammered."""

from __future__ import annotations

import asyncio
import logging
import socket
import statistics
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from handler.platform.lambda_http.adapter import LambdaHttpAdapter
from handler.platform.settings import PlatformSettings
from tests.support.events import LambdaContext, http_event
from tests.support.platform_app import cache_and_limits_app
from tests.support.servers import LiveServer, burst, free_port

TIMEOUT = 0.2
# Generous: a loaded 2-core CI machine can stall any request; the bound that matters is
# the median (skipped or bounded by TIMEOUT), the max only has to stay sane.
MARGIN = 1.0


class HungRedis:
    """A TCP server that never answers: Redis stuck, or unreachable behind a firewall that
    lets the handshake through. The kernel completes each connection into the listen
    backlog, so counting them needs no thread and no timing."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.url = f"redis://127.0.0.1:{self.sock.getsockname()[1]}/0"
        self.accepted: list[socket.socket] = []

    def connections(self) -> int:
        """Connections made so far (those still in the backlog included)."""
        while True:
            try:
                conn, _ = self.sock.accept()
            except BlockingIOError:
                return len(self.accepted)
            self.accepted.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.accepted:
            conn.close()


@pytest.fixture
def hung_redis() -> Iterator[HungRedis]:
    server = HungRedis()
    yield server
    server.close()


def closed_port_url() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"


def timed(client: TestClient, path: str) -> tuple[float, int, dict[str, str]]:
    start = time.perf_counter()
    answer = client.get(path)
    return time.perf_counter() - start, answer.status_code, dict(answer.headers)


def baseline(path: str) -> float:
    with TestClient(
        cache_and_limits_app(PlatformSettings(environment="test", redis_url=""))
    ) as client:
        return statistics.median(timed(client, path)[0] for _ in range(5))


def assert_added_latency_bounded(elapsed: list[float], memory: float) -> None:
    """Added latency vs the same route on the memory backends stays under the timeout
    (median); no single request strays far past it (max, with a generous margin)."""
    assert statistics.median(elapsed) - memory < TIMEOUT
    assert max(elapsed) - memory < TIMEOUT + MARGIN


def test_cached_answers_fresh_when_redis_refuses(caplog: pytest.LogCaptureFixture) -> None:
    memory = baseline("/cached")
    settings = PlatformSettings(
        environment="test",
        redis_url=closed_port_url(),
        redis_timeout=TIMEOUT,
        redis_backoff=30.0,  # no probe within the test however slow the machine
    )
    with TestClient(cache_and_limits_app(settings)) as client:
        answers = [timed(client, "/cached") for _ in range(5)]
        bodies = {client.get("/cached").json()["value"] for _ in range(3)}
    assert [status for _, status, _ in answers] == [200] * 5
    assert [headers["x-cache"] for _, _, headers in answers] == ["MISS"] * 5
    assert len(bodies) == 3, "computed fresh every time"
    assert_added_latency_bounded([elapsed for elapsed, _, _ in answers], memory)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, "one warning per outage, not one per request"
    # The root cause is named: the refused connection, not a wrapper around it.
    assert "redis unavailable (ConnectionRefusedError" in warnings[0]


def test_limited_fails_open_by_default_when_redis_is_down() -> None:
    memory = baseline("/limited")
    settings = PlatformSettings(
        environment="test", redis_url=closed_port_url(), redis_timeout=TIMEOUT
    )
    with TestClient(cache_and_limits_app(settings)) as client:
        answers = [timed(client, "/limited") for _ in range(7)]
    assert [status for _, status, _ in answers] == [200] * 7
    for _, _, headers in answers:
        assert headers["x-ratelimit-limit"] == "5"
        assert "x-ratelimit-remaining" not in headers, "unknown while the store is down"
    assert_added_latency_bounded([elapsed for elapsed, _, _ in answers], memory)


def test_limited_answers_503_when_configured_to_fail_closed() -> None:
    settings = PlatformSettings(
        environment="test",
        redis_url=closed_port_url(),
        redis_timeout=TIMEOUT,
        rate_limit_fail_open=False,
    )
    with TestClient(cache_and_limits_app(settings)) as client:
        answer = client.get("/limited")
        cached = client.get("/cached")
    assert answer.status_code == 503
    assert answer.json() == {
        "error": "Rate limiter unavailable",
        "path": "http://testserver/limited",
    }
    assert int(answer.headers["retry-after"]) >= 1
    assert cached.status_code == 200, "the cache never fails a request"


def test_a_hung_redis_costs_one_timeout_then_is_left_alone(hung_redis: HungRedis) -> None:
    memory = baseline("/cached")
    settings = PlatformSettings(
        environment="test", redis_url=hung_redis.url, redis_timeout=TIMEOUT, redis_backoff=30.0
    )
    with TestClient(cache_and_limits_app(settings)) as client:
        first, status, _ = timed(client, "/cached")
        connections = hung_redis.connections()
        later = [timed(client, path) for path in ("/cached", "/limited") * 5]
        reconnected = hung_redis.connections() - connections
    assert status == 200
    assert TIMEOUT * 0.8 <= first < TIMEOUT + MARGIN, "one timeout, not more"
    assert 1 <= connections <= 2
    assert reconnected == 0, "no new connection while paused"
    assert [s for _, s, _ in later] == [200] * 10
    # Waiting on a hung Redis would cost TIMEOUT each: the median shows they skipped it.
    assert statistics.median(e for e, _, _ in later) - memory < TIMEOUT / 2
    assert max(e for e, _, _ in later) - memory < TIMEOUT + MARGIN


def test_after_the_pause_one_request_probes_the_hung_redis_again(hung_redis: HungRedis) -> None:
    settings = PlatformSettings(
        environment="test", redis_url=hung_redis.url, redis_timeout=TIMEOUT, redis_backoff=0.3
    )
    with TestClient(cache_and_limits_app(settings)) as client:
        client.get("/cached")  # trips the breaker
        tripped = hung_redis.connections()
        time.sleep(0.4)  # longer than the pause: a slow machine only makes it longer
        probe = client.get("/cached")
        probed = hung_redis.connections()
    assert probe.status_code == 200
    assert probed > tripped


def test_a_burst_during_an_outage_logs_once_and_pauses_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Concurrent requests all find Redis down: one trip, one warning, one pause (not a
    pause doubled per request); fail-closed answers show the pause in Retry-After."""
    settings = PlatformSettings(
        environment="test",
        redis_url=closed_port_url(),
        redis_timeout=TIMEOUT,
        redis_backoff=10.0,  # per-request doubling would show 20 or 30 (the cap)
        rate_limit_fail_open=False,
    )
    with LiveServer(cache_and_limits_app(settings)) as server:
        answers = asyncio.run(burst(f"{server.url}/limited", 30))
    assert {answer.status_code for answer in answers} == {503}
    assert max(int(answer.headers["retry-after"]) for answer in answers) <= 10
    assert sum("redis unavailable" in r.getMessage() for r in caplog.records) == 1


def test_lambda_answers_when_redis_is_down(lambda_context: LambdaContext) -> None:
    settings = PlatformSettings(
        environment="test", redis_url=closed_port_url(), redis_timeout=TIMEOUT
    )
    adapter = LambdaHttpAdapter(cache_and_limits_app(settings))
    try:
        cached = adapter(http_event("http_api_v2", path="/cached"), lambda_context)
        limited = [
            adapter(http_event("http_api_v2", path="/limited"), lambda_context) for _ in range(6)
        ]
    finally:
        adapter.close()
    assert cached["statusCode"] == 200
    assert [answer["statusCode"] for answer in limited] == [200] * 6
