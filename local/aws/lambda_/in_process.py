"""A function whose handler runs in this process: `python -m local worker`'s one
execution environment, behind the same `invoke(event)` as the emulator's pools.

One event at a time, as in a Lambda environment. The handler runs in a daemon thread
(its entry keeps its own event loop, `handler.platform.runtime.event_loop`), so Ctrl+C
stops the command at once. No timeout is enforced: nothing here can kill a thread.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from local.aws.lambda_.context import LambdaContext
from local.aws.lambda_.invoke import Failure, Invocation
from local.aws.threads import in_daemon_thread

Handler = Callable[[dict[str, Any], Any], Any]


class InProcessFunction:
    """`Invoker` for `handler(event, context)`, imported by the caller."""

    def __init__(self, name: str, handler: Handler) -> None:
        self.name = name
        self._handler = handler
        self._one_at_a_time = asyncio.Lock()

    async def invoke(self, event: dict[str, Any]) -> Invocation:
        async with self._one_at_a_time:
            started = time.perf_counter()
            context = LambdaContext(function_name=self.name)
            try:
                payload = await in_daemon_thread(
                    lambda: self._handler(event, context), f"{self.name}-invoke"
                )
            except Exception as exc:
                return Invocation(
                    failure=Failure.HANDLER,
                    detail=f"{type(exc).__name__}: {exc}",
                    duration_ms=(time.perf_counter() - started) * 1000,
                )
            return Invocation(payload=payload, duration_ms=(time.perf_counter() - started) * 1000)
