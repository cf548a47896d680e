"""Log correlation: a task's lines carry its id and its originating request's id."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from handler.platform.middleware import request_id_var
from handler.platform.tasks.envelope import TaskEnvelope


@contextmanager
def task_log_context(envelope: TaskEnvelope) -> Iterator[None]:
    """The originating request's id is the current one while its task runs, so the
    task's own log lines (and any task it adds) carry it."""
    token = request_id_var.set(envelope.request_id)
    try:
        yield
    finally:
        request_id_var.reset(token)


def log_keys(envelope: TaskEnvelope, **more: object) -> dict[str, object]:
    """`extra=` for a log call: JSON logs get these as fields."""
    keys: dict[str, object] = {
        "task_id": envelope.id,
        "task_name": envelope.name,
        "request_id": envelope.request_id,
    }
    keys.update(more)
    return keys
