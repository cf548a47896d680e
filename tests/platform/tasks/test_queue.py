"""The local path: tasks run in-process, after the response has been sent."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from handler.platform.http.deps import TasksDep
from handler.platform.http.middleware import RequestIdMiddleware
from handler.platform.tasks import task
from tests.support.platform_app import platform_app
from tests.support.servers import LiveServer

release = threading.Event()
ran: list[Any] = []


@task(name="test_local_wait_for_release")
def wait_for_release(label: str) -> None:
    ran.append(("started", label, threading.get_ident()))
    if not release.wait(timeout=10):
        raise TimeoutError("the test never released the task")
    ran.append(("done", label))


@task(name="test_local_async")
async def record_async(label: str) -> None:
    await asyncio.sleep(0)
    ran.append(("async", label, threading.get_ident()))


@task(name="test_local_explode")
def explode() -> None:
    raise RuntimeError("task failed on purpose")


router = APIRouter()


@router.post("/slow-task")
async def slow_task(tasks: TasksDep) -> dict[str, str]:
    return {"task_id": tasks.add_task(wait_for_release, "slow"), "loop": str(threading.get_ident())}


@router.post("/failing-then-fine")
async def failing_then_fine(tasks: TasksDep) -> dict[str, str]:
    failing = tasks.add_task(explode)
    tasks.add_task(record_async, "after the failure")
    return {"task_id": failing}


@pytest.fixture(autouse=True)
def _reset() -> None:
    release.clear()
    ran.clear()


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@pytest.fixture
def local_app() -> FastAPI:
    app = platform_app()
    app.include_router(router)
    app.add_middleware(RequestIdMiddleware)
    return app


def wait_for(condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_task_runs_after_the_response_is_sent(local_app: FastAPI) -> None:
    with LiveServer(local_app) as server:
        # The task blocks until released: the response can only arrive before it ends.
        response = httpx.post(f"{server.url}/slow-task", timeout=5)
        assert response.status_code == 200
        assert ("done", "slow") not in ran
        release.set()
        wait_for(lambda: ("done", "slow") in ran)
    started = ran[0]
    assert started[2] != int(response.json()["loop"]), "a sync task runs in a worker thread"


def test_failing_task_is_logged_and_the_next_task_still_runs(
    local_app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    with TestClient(local_app) as client:
        response = client.post("/failing-then-fine")
        assert client.get("/health").status_code == 200

    assert response.status_code == 200
    failing_id = response.json()["task_id"]
    failures = [r for r in caplog.records if getattr(r, "task_id", None) == failing_id]
    assert [r.levelno for r in failures] == [logging.ERROR]
    assert failing_id in failures[0].getMessage()
    assert failures[0].request_id == response.headers["x-request-id"]
    assert [entry[:2] for entry in ran] == [("async", "after the failure")]
