"""Lambda-like execution environments: real child processes, init once, one event at a
time, a second environment when the first is busy, the cap, timeouts, crashes, init
errors and shutdown."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

from local.aws.lambda_.execution import ROOT
from local.aws.lambda_.functions import FunctionPool
from local.aws.lambda_.invoke import Failure
from local.aws.topology import BASE_ENVIRONMENT, HTTP, FunctionSpec
from tests.support.events import http_event

T = TypeVar("T")
TEST_FUNCTION = FunctionSpec(
    "test", "tests.local.aws.lambda_.handlers.handler", timeout_seconds=5, memory_mb=256
)


def pool(
    lines: list[str],
    spec: FunctionSpec = TEST_FUNCTION,
    environment: dict[str, str] | None = None,
    **options: Any,
) -> FunctionPool:
    options.setdefault("max_wait_seconds", 5.0)
    return FunctionPool(spec, environment or {"GREETING": "hello"}, log=lines.append, **options)


def run(scenario: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(asyncio.wait_for(scenario(), 30))


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_an_environment_inits_once_over_several_invokes() -> None:
    lines: list[str] = []

    async def scenario() -> list[Any]:
        # Production refuses to start without an issuer; anonymous reads never ask it.
        environment = {**BASE_ENVIRONMENT, "AUTH_ISSUER": "https://issuer.example.invalid/pool"}
        http = pool(lines, HTTP, environment, max_environments=1)
        try:
            event = http_event("http_api_v2", path="/api/v1/users")
            return [await http.invoke(event) for _ in range(3)]
        finally:
            await http.close()

    outcomes = run(scenario)
    assert [o.failure for o in outcomes] == [None, None, None]
    assert [o.payload["statusCode"] for o in outcomes] == [200, 200, 200]
    assert sum("INIT_START" in line for line in lines) == 1
    reports = [line for line in lines if "REPORT RequestId:" in line]
    assert len(reports) == 3
    assert "Init Duration:" in reports[0]
    assert not any("Init Duration:" in report for report in reports[1:])
    assert all(line.startswith("[http/1] ") for line in lines)
    assert "Memory Size: 1024 MB" in reports[0]


def test_the_function_gets_a_lambda_context_and_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "a-developer-profile")
    lines: list[str] = []
    expected = {
        "GREETING": "hello",
        "AWS_PROFILE": None,  # the emulator's own environment does not leak in
        "AWS_LAMBDA_FUNCTION_NAME": "test",
        "AWS_LAMBDA_FUNCTION_TIMEOUT": "5",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:1",
        "AWS_REGION": "us-east-1",
        "_HANDLER": "tests.local.aws.lambda_.handlers.handler",
        "LAMBDA_TASK_ROOT": str(ROOT),
    }
    names = list(expected)

    async def scenario() -> list[Any]:
        function = pool(lines, endpoint_url="http://127.0.0.1:1")
        try:
            return [(await function.invoke({"environ": names})).payload for _ in range(2)]
        finally:
            await function.close()

    first, second = run(scenario)
    assert first["request_id"] != second["request_id"]
    assert first["function_name"] == "test"
    assert first["memory_limit_in_mb"] == 256
    assert first["invoked_function_arn"].endswith(":function:test")
    assert 4000 < first["remaining_ms"] <= 5000
    assert first["log_group_name"] == "/aws/lambda/test"
    assert first["environ"] == expected
    # The function's own output reaches the log, before the platform's END line.
    start = next(i for i, line in enumerate(lines) if "START RequestId" in line)
    assert lines[start + 1] == "[test/1] sleeping 0"
    assert "END RequestId" in lines[start + 2]


def test_a_second_environment_starts_only_while_the_first_is_busy() -> None:
    lines: list[str] = []

    async def scenario() -> tuple[list[Any], Any, int]:
        function = pool(lines, max_environments=3)
        try:
            busy = await asyncio.gather(*(function.invoke({"sleep": 0.5}) for _ in range(2)))
            later = await function.invoke({})
            return busy, later, function.started
        finally:
            await function.close()

    busy, later, started = run(scenario)
    pids = {outcome.payload["pid"] for outcome in busy}
    assert len(pids) == 2  # one event at a time: the second event got its own process
    assert started == 2
    assert later.payload["pid"] in pids  # an idle environment is reused
    assert sum("INIT_START" in line for line in lines) == 2


def test_past_the_cap_an_invoke_waits_for_a_free_environment() -> None:
    async def scenario() -> list[Any]:
        function = pool([], max_environments=1, max_wait_seconds=5)
        try:
            return list(await asyncio.gather(*(function.invoke({"sleep": 0.3}) for _ in range(2))))
        finally:
            await function.close()

    first, second = run(scenario)
    assert first.ok
    assert second.ok
    assert first.payload["pid"] == second.payload["pid"]


def test_past_the_cap_and_the_wait_an_invoke_is_throttled() -> None:
    async def scenario() -> list[Any]:
        function = pool([], max_environments=1, max_wait_seconds=0.2)
        try:
            slow = asyncio.create_task(function.invoke({"sleep": 1.5}))
            await asyncio.sleep(0.5)  # the one environment is busy now
            throttled = await function.invoke({})
            return [await slow, throttled]
        finally:
            await function.close()

    slow, throttled = run(scenario)
    assert slow.ok
    assert throttled.failure is Failure.THROTTLED


def test_a_timeout_kills_the_environment_and_the_next_invoke_gets_a_fresh_one() -> None:
    lines: list[str] = []

    async def scenario() -> tuple[Any, Any, Any, float]:
        function = pool(lines, timeout_seconds=0.5)
        try:
            warm = await function.invoke({})
            started = time.monotonic()
            timed_out = await function.invoke({"sleep": 10})
            waited = time.monotonic() - started
            return warm, timed_out, await function.invoke({}), waited
        finally:
            await function.close()

    warm, timed_out, after, waited = run(scenario)
    assert timed_out.failure is Failure.TIMEOUT
    assert waited < 2.5
    assert not alive(warm.payload["pid"])
    assert after.ok
    assert after.payload["pid"] != warm.payload["pid"]
    assert any("Task timed out after 0.50 seconds" in line for line in lines)
    assert any("Status: timeout" in line for line in lines)


def test_a_handler_error_is_reported_and_the_environment_kept() -> None:
    lines: list[str] = []

    async def scenario() -> list[Any]:
        function = pool(lines)
        try:
            return [await function.invoke(event) for event in ({"do": "raise"}, {})]
        finally:
            await function.close()

    failed, after = run(scenario)
    assert failed.failure is Failure.HANDLER
    assert failed.detail == "ValueError: boom"
    assert after.ok
    assert sum("INIT_START" in line for line in lines) == 1
    assert "[test/1] [ERROR] ValueError: boom" in lines


def test_an_answer_that_is_not_json_is_a_handler_error() -> None:
    failed = run(lambda: invoke_once({"do": "not-json"}))
    assert failed.failure is Failure.HANDLER
    assert failed.detail.startswith("Runtime.MarshalError: Unable to marshal response")


async def invoke_once(event: dict[str, Any], spec: FunctionSpec = TEST_FUNCTION) -> Any:
    function = pool([], spec)
    try:
        return await function.invoke(event)
    finally:
        await function.close()


def test_a_process_that_dies_mid_invoke_is_a_crash_and_is_replaced() -> None:
    async def scenario() -> list[Any]:
        function = pool([])
        try:
            return [await function.invoke(event) for event in ({"do": "exit"}, {})]
        finally:
            await function.close()

    crashed, after = run(scenario)
    assert crashed.failure is Failure.CRASH
    assert crashed.detail == "Runtime.ExitError: Runtime exited with error: exit status 3"
    assert after.ok


@pytest.mark.parametrize(
    ("handler", "detail"),
    [
        ("tests.local.aws.lambda_.broken_handlers.handler", "RuntimeError: init failed on purpose"),
        ("tests.local.aws.lambda_.missing.handler", "Runtime.ImportModuleError: Unable to import"),
        ("tests.local.aws.lambda_.handlers.missing", "Runtime.HandlerNotFound: Handler 'missing'"),
    ],
)
def test_an_init_error_fails_the_invoke_and_leaves_no_process(handler: str, detail: str) -> None:
    spec = FunctionSpec("broken", handler, timeout_seconds=5, memory_mb=128)

    async def scenario() -> tuple[Any, list[int]]:
        function = pool([], spec)
        try:
            return await function.invoke({}), function.pids()
        finally:
            await function.close()

    failed, pids = run(scenario)
    assert failed.failure is Failure.INIT
    assert failed.detail.startswith(detail)
    assert pids == []


def test_a_caller_that_gives_up_leaves_the_invocation_running() -> None:
    lines: list[str] = []

    async def scenario() -> tuple[Any, int]:
        function = pool(lines, max_environments=1)
        try:
            first = asyncio.create_task(function.invoke({"sleep": 0.3}))
            await asyncio.sleep(0.1)
            first.cancel()
            after = await function.invoke({})
            return after, function.started
        finally:
            await function.close()

    after, started = run(scenario)
    assert after.ok
    assert started == 1  # the environment was not killed: the next event waited for it
    reports = [line for line in lines if "REPORT" in line]
    assert len(reports) == 2
    duration = float(reports[0].split("\tDuration: ")[1].split(" ms")[0])
    assert duration >= 300  # the abandoned one ran its 0.3 s to the end


def test_close_stops_every_process_within_seconds() -> None:
    lines: list[str] = []

    async def scenario() -> tuple[list[int], list[Any], float]:
        function = pool(lines, max_environments=3)
        busy = [asyncio.create_task(function.invoke({"sleep": 30})) for _ in range(2)]
        await function.warm()
        for _ in range(200):  # until both are in their handler
            if sum("sleeping 30" in line for line in lines) == 2:
                break
            await asyncio.sleep(0.05)
        pids = function.pids()
        started = time.monotonic()
        await function.close()
        took = time.monotonic() - started
        return pids, await asyncio.gather(*busy), took

    pids, busy, took = run(scenario)
    assert len(pids) == 3
    assert took < 5
    assert not any(alive(pid) for pid in pids)
    assert [outcome.failure for outcome in busy] == [Failure.CRASH, Failure.CRASH]
