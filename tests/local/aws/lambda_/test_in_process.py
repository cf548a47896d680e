"""`InProcessFunction`, `python -m local worker`'s one environment: the handler's answer or
its failure, the Lambda context it is given, and one event at a time."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from local.aws.lambda_.in_process import InProcessFunction
from local.aws.lambda_.invoke import Failure


def test_the_answer_comes_back_with_a_lambda_context() -> None:
    seen: list[Any] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        seen.append(context)
        return {"echo": event["n"]}

    outcome = asyncio.run(InProcessFunction("worker", handler).invoke({"n": 1}))
    assert outcome.ok
    assert outcome.payload == {"echo": 1}
    assert seen[0].function_name == "worker"
    assert seen[0].get_remaining_time_in_millis() > 0


def test_a_raising_handler_is_a_handler_failure() -> None:
    def handler(event: dict[str, Any], context: Any) -> None:
        raise ValueError("nope")

    outcome = asyncio.run(InProcessFunction("worker", handler).invoke({}))
    assert outcome.failure is Failure.HANDLER
    assert outcome.detail == "ValueError: nope"


def test_events_run_one_at_a_time() -> None:
    running, most = 0, 0
    lock = threading.Lock()

    def handler(event: dict[str, Any], context: Any) -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.05)
        with lock:
            running -= 1

    function = InProcessFunction("worker", handler)

    async def three() -> None:
        await asyncio.gather(*(function.invoke({}) for _ in range(3)))

    asyncio.run(three())
    assert most == 1
