"""The demo's notification route: the `send_email` task runs in-process locally, after
the answer (the in-process queue itself: tests/platform/tasks/test_queue.py)."""

from __future__ import annotations

import time
from typing import Any

import httpx

from handler.api.notification_tasks import OUTBOX, Email
from handler.settings import Settings
from tests.support.auth import bearer
from tests.support.servers import LiveServer


def wait_for(condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_demo_route_sends_the_email_locally(live_server: LiveServer) -> None:
    OUTBOX.clear()

    response = httpx.post(
        f"{live_server.url}/send-notification/",
        params={"email": "ada@example.com"},
        headers=bearer(Settings(environment="test"), "ada"),
    )

    assert response.status_code == 200
    assert response.json()["message"] == "Notification sent in the background"
    wait_for(lambda: len(OUTBOX) == 1)
    assert OUTBOX[0] == Email(to="ada@example.com", message="some notification")
