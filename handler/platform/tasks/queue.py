"""The `TaskQueue` port and its in-process adapter (the SQS one is in `sqs.py`; the
composition root, `handler.composition.task_queue`, chooses)."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Protocol

from starlette.background import BackgroundTasks

from handler.platform.metrics.names import TASK_DURATION, TASKS_QUEUED, TASKS_RUN
from handler.platform.metrics.recorder import NO_METRICS, Metrics, elapsed_ms
from handler.platform.tasks.envelope import EncodedTask, TaskEnvelope
from handler.platform.tasks.log_context import log_keys, task_log_context
from handler.platform.tasks.registry import TaskRegistry, registry

logger = logging.getLogger(__name__)


class TaskQueue(Protocol):
    """Where a request's tasks go once its handler has returned, before the response.

    `send` returns only when every task is accepted (it will run at least once), and
    raises `TaskQueueUnavailable` otherwise. `background` runs after the response is
    sent; an in-process queue uses it, a remote one ignores it.
    """

    async def send(self, tasks: Sequence[EncodedTask], background: BackgroundTasks) -> None: ...

    def prepare(self) -> None:
        """Build now what the first send would build (SnapStart's init); connect nowhere."""

    def close(self) -> None: ...


class InProcessQueue:
    """Runs each task in this process after the response, as Starlette's BackgroundTasks.

    A failing task is logged with its id and swallowed: it never reaches the server,
    and the request's other tasks still run.
    """

    def __init__(self, tasks: TaskRegistry = registry, *, metrics: Metrics = NO_METRICS) -> None:
        self._registry = tasks
        self.metrics = metrics

    async def send(self, tasks: Sequence[EncodedTask], background: BackgroundTasks) -> None:
        for encoded in tasks:
            background.add_task(self.run, encoded.envelope)
            self.metrics.count(TASKS_QUEUED, task=encoded.envelope.name)

    async def run(self, envelope: TaskEnvelope) -> None:
        with task_log_context(envelope):
            started = time.perf_counter()
            try:
                spec = self._registry.get(envelope.name)
                await spec.call_async(spec.bind(envelope.args, envelope.keyword_args))
            except Exception:
                self.metrics.milliseconds(TASK_DURATION, elapsed_ms(started), task=envelope.name)
                logger.exception(
                    "task %s (%s) failed; request %s",
                    envelope.id,
                    envelope.name,
                    envelope.request_id,
                    extra=log_keys(envelope),
                )
                return
        self.metrics.milliseconds(TASK_DURATION, elapsed_ms(started), task=envelope.name)
        self.metrics.count(TASKS_RUN, task=envelope.name)
        logger.debug("task %s (%s) done", envelope.id, envelope.name, extra=log_keys(envelope))

    def prepare(self) -> None:
        pass

    def close(self) -> None:
        pass
