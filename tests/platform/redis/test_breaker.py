"""The circuit breaker: one pause per outage, doubled up to a cap, one probe at a time."""

from __future__ import annotations

import logging

import pytest

from handler.platform.redis.breaker import Breaker


def fail(breaker: Breaker) -> None:
    attempt = breaker.attempt()
    assert attempt is not None
    with attempt:
        attempt.failed(ConnectionError("refused"))


def test_breaker_doubles_its_pause_up_to_the_cap_and_closes_on_success() -> None:
    now = [100.0]
    breaker = Breaker("redis", backoff=1.0, cap=3.0, clock=lambda: now[0])
    assert not breaker.is_open
    pauses = []
    for _ in range(4):
        fail(breaker)
        pauses.append(breaker.retry_after)
        assert breaker.attempt() is None, "open: Redis is skipped"
        now[0] += breaker.retry_after
        assert not breaker.is_open, "half-open once the pause is over"
    assert pauses == [1.0, 2.0, 3.0, 3.0]
    probe = breaker.attempt()
    assert probe is not None
    probe.succeeded()
    fail(breaker)
    assert breaker.retry_after == 1.0, "a success resets the backoff"


def test_concurrent_failures_of_one_outage_trip_the_breaker_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="handler.platform.redis.breaker")
    now = [100.0]
    breaker = Breaker("redis", backoff=1.0, clock=lambda: now[0])
    in_flight = [breaker.attempt() for _ in range(5)]  # admitted while closed
    for attempt in in_flight:
        assert attempt is not None
        attempt.failed(ConnectionError("refused"))
    assert breaker.retry_after == 1.0, "one outage, one pause: not doubled per request"
    assert [r.getMessage()[:17] for r in caplog.records] == ["redis unavailable"]


def test_half_open_breaker_admits_one_probe_at_a_time() -> None:
    now = [100.0]
    breaker = Breaker("redis", backoff=1.0, clock=lambda: now[0])
    fail(breaker)
    now[0] += 1.0
    probe = breaker.attempt()
    assert probe is not None
    assert probe.probe
    assert breaker.attempt() is None, "the probe is out: others keep skipping Redis"
    with probe:
        pass  # ended without a verdict (cancelled, or no free connection)
    second = breaker.attempt()
    assert second is not None, "an unfinished probe frees its slot"
    assert second.probe
    second.failed(ConnectionError("refused"))
    assert breaker.retry_after == 2.0
    now[0] += 2.0
    third = breaker.attempt()
    assert third is not None
    third.succeeded()
    assert [breaker.attempt() is not None for _ in range(3)] == [True] * 3, "closed again"
