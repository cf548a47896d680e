"""Log correlation: a task's lines carry its id and its originating request's id."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from handler.platform.runtime.request_id import request_id_var
from handler.platform.runtime.trace_header import trace_header_var, trace_id
from handler.platform.tasks.envelope import TaskEnvelope

current_task_var: ContextVar[TaskEnvelope | None] = ContextVar("current_task", default=None)


@contextmanager
def task_log_context(envelope: TaskEnvelope, *, trace_header: str | None = None) -> Iterator[None]:
    """While a task runs, it is the current task and its originating request's id is the
    current request id: its own log lines (and any task it adds) carry both. With the
    request's trace header (the message's `AWSTraceHeader`), its lines carry `trace_id`
    too, and the tasks it adds join the same trace."""
    task_token = current_task_var.set(envelope)
    request_token = request_id_var.set(envelope.request_id)
    trace_token = trace_header_var.set(trace_header) if trace_header else None
    try:
        yield
    finally:
        if trace_token is not None:
            trace_header_var.reset(trace_token)
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
            trace = trace_id(trace_header_var.get())
            if trace and not hasattr(record, "trace_id"):
                record.trace_id = trace
        return True


def install_task_log_filter(logger: logging.Logger | None = None) -> None:
    """On the handlers (a logger's filters skip records propagated from child loggers)."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, TaskLogFilter) for f in handler.filters):
            handler.addFilter(TaskLogFilter())
