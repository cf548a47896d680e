"""The integration timeout both emulated APIs put on a function invocation."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from local.aws.lambda_.invoke import Invocation, Invoker

logger = logging.getLogger(__name__)


class IntegrationCalls:
    """Invokes a function under the gateway's integration timeout.

    When the timeout passes first the caller gets None and the invocation keeps running,
    as on AWS (the function runs on until its own timeout; its answer is dropped). Those
    invocations are held here so they are not garbage-collected, and cancelled at shutdown.
    """

    def __init__(self, function: Invoker, timeout: float) -> None:
        self.function = function
        self.timeout = timeout
        self._abandoned: set[asyncio.Task[Invocation]] = set()

    async def invoke(self, event: dict[str, Any]) -> Invocation | None:
        task = asyncio.ensure_future(self.function.invoke(event))
        try:
            done, _ = await asyncio.wait({task}, timeout=self.timeout)
        except asyncio.CancelledError:
            task.cancel()
            raise
        if task in done:
            return task.result()
        self._abandoned.add(task)
        task.add_done_callback(self._forget)
        return None

    def _forget(self, task: asyncio.Task[Invocation]) -> None:
        self._abandoned.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.warning("%s: abandoned invocation raised", self.function.name)

    async def close(self) -> None:
        for task in list(self._abandoned):
            task.cancel()
        if self._abandoned:
            await asyncio.wait(self._abandoned, timeout=5)
