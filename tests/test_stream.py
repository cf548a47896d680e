"""/stream under a real uvicorn: events leave as they are produced, not at the end."""

from __future__ import annotations

import time

import httpx
import pytest
from fastapi import FastAPI

from handler.app import create_app
from handler.settings import Settings
from tests.conftest import LiveServer

INTERVAL = 0.2


@pytest.fixture
def slow_stream_app() -> FastAPI:
    return create_app(Settings(environment="test", stream_interval=INTERVAL))


def test_first_event_arrives_before_the_last_is_produced(slow_stream_app: FastAPI) -> None:
    arrivals: list[tuple[float, str]] = []
    with LiveServer(slow_stream_app) as server, httpx.Client(timeout=10) as http:
        start = time.monotonic()
        with http.stream("GET", f"{server.url}/stream") as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            assert response.headers["x-custom"] == "fastapi-serverless"
            for line in response.iter_lines():
                if line.startswith("data:"):
                    arrivals.append((time.monotonic() - start, line))
    assert [line for _, line in arrivals] == [f"data: {i}" for i in range(10)]
    first, last = arrivals[0][0], arrivals[-1][0]
    # The generator sleeps INTERVAL between events: the last one cannot exist until
    # 9 intervals in. Buffering would deliver the first one together with it.
    assert last >= 9 * INTERVAL * 0.9
    assert first < last - 5 * INTERVAL


def test_stream_interval_comes_from_settings(client: httpx.Client) -> None:
    start = time.monotonic()
    with client.stream("GET", "/stream") as response:
        lines = [line for line in response.iter_lines() if line.startswith("data:")]
    assert len(lines) == 10
    assert time.monotonic() - start < 5, "the test settings' 0.05 s interval is used"
