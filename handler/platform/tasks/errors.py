"""Task errors. None of them imports FastAPI: the worker raises and catches them too."""

from __future__ import annotations

from handler.platform.errors import Unavailable


class TaskError(Exception):
    """Base of every error this package raises."""


class TaskArgumentError(TaskError, TypeError):
    """Arguments that do not bind, are not JSON-serializable, or do not validate against
    the task's annotations (`add_task` raises it; the worker dead-letters them)."""


class TaskTooLarge(TaskError, ValueError):
    """The encoded task is over the queue's message size limit."""


class UnknownTask(TaskError, LookupError):
    """No task is registered under this name (or for this function)."""


class TaskQueueUnavailable(TaskError, Unavailable):
    """The queue did not accept every task of a request: none may be claimed as queued."""

    error = "Task queue unavailable"


class PoisonMessage(TaskError):
    """A message that can never succeed: retrying it would only fail again.

    `reason` is a short stable code for the dead-letter queue's message attribute.
    """

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
