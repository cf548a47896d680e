"""Log correlation: a task's lines carry its id and its originating request's id."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from handler.platform.runtime.request_id import request_id_var
from handler.platform.tasks.envelope import TaskEnvelope

current_task_var: ContextVar[TaskEnvelope | None] = ContextVar("current_task", default=None)


@contextmanager
def task_log_context(envelope: TaskEnvelope) -> Iterator[None]:
    """While a task runs, it is the current task and its originating request's id is the
    current request id: its own log lines (and any task it adds) carry both."""
    task_token = current_task_var.set(envelope)
    request_token = request_id_var.set(envelope.request_id)
    try:
        yield
    finally:
        request_id_var.reset(request_token)
        current_task_var.reset(task_token)


def log_keys(envelope: TaskEnvelope, **more: object) -> dict[str, object]:
    """`extra=` for a log call: JSON logs get these as fields."""
    keys: dict[str, object] = {
        "task_id": envelope.id,
        "task_name": envelope.name,
        "request_id": envelope.request_id,
    }
    keys.update(more)
    return keys


class TaskLogFilter(logging.Filter):
    """Stamps the current task's keys on every record, whichever logger wrote it."""

    def filter(self, record: logging.LogRecord) -> bool:
        envelope = current_task_var.get()
        if envelope is not None:
            for key, value in log_keys(envelope).items():
                if not hasattr(record, key):
                    setattr(record, key, value)
        return True


def install_task_log_filter(logger: logging.Logger | None = None) -> None:
    """On the handlers (a logger's filters skip records propagated from child loggers)."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, TaskLogFilter) for f in handler.filters):
            handler.addFilter(TaskLogFilter())
