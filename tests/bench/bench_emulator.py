"""The emulator (`python -m local aws`): start time, and the end-to-end latency of a task
(HTTP 200 -> the worker's log line) and of an announcement (HTTP 202 -> both sockets).

The SQS event source waits up to its batching window (2 s, as the stack's mapping does)
before it invokes the worker, so a task's latency is mostly that window: the figure says
what a developer waits for, not what Lambda would cost.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from websockets.asyncio.client import connect

from tests.bench.common import show, spread
from tests.support.cognito import SignedIn, sign_up_and_in
from tests.support.stack import Stack, emulated_stack

STARTS = 3
ROUNDS = 5


def start_seconds() -> list[float]:
    samples = []
    for _ in range(STARTS):
        with tempfile.TemporaryDirectory() as workdir:
            started = time.perf_counter()
            with emulated_stack(Path(workdir)):
                samples.append(time.perf_counter() - started)
    return samples


def task_seconds(stack: Stack) -> float:
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    started = time.perf_counter()
    httpx.post(f"{stack['HttpUrl']}send-notification/", params={"email": email}, timeout=30)
    assert stack.logged(f"email to {email}", within=30)
    return time.perf_counter() - started


def signed_in(stack: Stack) -> list[SignedIn]:
    """Two chat users and an admin (announcements are the admin's), of the stack's pool."""
    idp = stack.client("cognito-idp")
    pool, client = stack["UserPoolId"], stack["UserPoolClientId"]
    return [
        sign_up_and_in(idp, pool_id=pool, client_id=client, name="one"),
        sign_up_and_in(idp, pool_id=pool, client_id=client, name="two"),
        sign_up_and_in(idp, pool_id=pool, client_id=client, name="root", admin=True),
    ]


def announcement_seconds(stack: Stack, users: list[SignedIn]) -> float:
    text = f"bench {uuid.uuid4().hex[:8]}"
    url = stack["WebSocketUrl"]
    first, second, admin = users

    async def scenario() -> float:
        async with (
            connect(f"{url}?token={first.access_token}") as one,
            connect(f"{url}?token={second.access_token}") as two,
        ):
            started = time.perf_counter()
            async with httpx.AsyncClient(timeout=30, headers=admin.headers) as http:
                await http.post(f"{stack['HttpUrl']}api/v2/announcements", json={"text": text})
            for ws in (one, two):
                async with asyncio.timeout(30):
                    while str(await ws.recv()) != f"Announcement: {text}":
                        pass
            return time.perf_counter() - started

    return asyncio.run(scenario())


def main() -> None:
    starts = start_seconds()
    show("emulator start (to outputs written)", statistics.median(starts), "s", spread(starts))
    with tempfile.TemporaryDirectory() as workdir, emulated_stack(Path(workdir)) as stack:
        show("task, first (cold worker)", task_seconds(stack), "s")
        tasks = [task_seconds(stack) for _ in range(ROUNDS)]
        show("task, warm (median)", statistics.median(tasks), "s", spread(tasks))
        users = signed_in(stack)
        show("announcement, first (cold WebSocket fn)", announcement_seconds(stack, users), "s")
        announcements = [announcement_seconds(stack, users) for _ in range(ROUNDS)]
        show(
            "announcement, warm (median)",
            statistics.median(announcements),
            "s",
            f"{spread(announcements)}; includes the 2 s batching window",
        )
