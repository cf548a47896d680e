"""`Tasks`, the handle a route gets as `TasksDep`: reads like FastAPI's BackgroundTasks,
sends before the response.

    @router.post("/send-notification/")
    async def notify(email: str, tasks: TasksDep) -> dict[str, str]:
        tasks.add_task(send_email, email, message="Hello!")
        return {"message": "queued"}

The dependency's exit runs when the handler has returned and before the response is
sent (`scope="function"`; the default "request" scope would run it after the response
went out). There the request's tasks go to the queue in one batch; if the queue refuses
them, the client gets 503 JSON instead of the handler's answer. The dependency itself is
in `handler.platform.http.deps`, with the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, ParamSpec

from starlette.background import BackgroundTasks

from handler.platform.runtime.request_id import request_id_var
from handler.platform.tasks.envelope import EncodedTask, encode_task
from handler.platform.tasks.queue import TaskQueue
from handler.platform.tasks.registry import TaskRegistry, registry

logger = logging.getLogger(__name__)

P = ParamSpec("P")


class Tasks:
    """The tasks one request adds. `add_task` checks its arguments at once (binding,
    JSON, size) and raises `TaskArgumentError` / `TaskTooLarge`; nothing leaves the
    process until the handler has returned."""

    def __init__(
        self,
        queue: TaskQueue,
        background: BackgroundTasks,
        *,
        max_message_bytes: int,
        tasks: TaskRegistry = registry,
    ) -> None:
        self._queue = queue
        self._background = background
        self._max_bytes = max_message_bytes
        self._registry = tasks
        self.pending: list[EncodedTask] = []

    def add_task(self, func: Callable[P, Any], /, *args: P.args, **kwargs: P.kwargs) -> str:
        """Add a registered task; returns its id (the idempotency key on the worker)."""
        encoded = encode_task(
            self._registry.spec_for(func),
            args,
            kwargs,
            request_id=request_id_var.get(),
            max_bytes=self._max_bytes,
        )
        self.pending.append(encoded)
        return encoded.id

    async def flush(self) -> None:
        pending, self.pending = self.pending, []
        if pending:
            await self._queue.send(pending, self._background)
