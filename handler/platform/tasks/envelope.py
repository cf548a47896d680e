"""The JSON envelope a task travels in: the same bytes locally and on SQS."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError

from handler.platform.tasks.errors import PoisonMessage, TaskArgumentError, TaskTooLarge
from handler.platform.tasks.registry import TaskSpec

ENVELOPE_VERSION = 1


class TaskEnvelope(BaseModel):
    """One task run: what to call, with what, and where it came from."""

    # Unknown fields are ignored so an older worker still reads a newer producer's message.
    # The schema (JsonValue is recursive: tens of ms) is built by the first task, not at
    # import: a cold start serving a GET never needs it (SnapStart's init builds it ahead).
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True, defer_build=True)

    v: int = ENVELOPE_VERSION
    id: str = Field(min_length=1, max_length=80)
    name: str = Field(min_length=1)
    args: list[JsonValue] = Field(default_factory=list)
    # "kwargs" on the wire; a field named kwargs would shadow pydantic's __init__(**kwargs).
    keyword_args: dict[str, JsonValue] = Field(default_factory=dict, alias="kwargs")
    enqueued_at: datetime
    # 1 when first sent; a replay from the dead-letter queue sends attempt + 1. SQS
    # redeliveries do not change the body: their count is the message's receive count.
    attempt: int = Field(default=1, ge=1)
    request_id: str | None = None

    @classmethod
    def decode(cls, body: str) -> TaskEnvelope:
        try:
            return cls.model_validate_json(body)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "body"
            raise PoisonMessage("bad-envelope", f"{where}: {first['msg']}") from None


@dataclass(frozen=True)
class EncodedTask:
    """An envelope and its body, checked and ready for any queue."""

    envelope: TaskEnvelope
    body: str

    @property
    def id(self) -> str:
        return self.envelope.id


def encode_task(
    spec: TaskSpec,
    args: Sequence[Any],
    kwargs: Mapping[str, Any],
    *,
    request_id: str | None,
    max_bytes: int,
) -> EncodedTask:
    """Check the arguments now, in the request that adds the task, not in the worker later."""
    try:
        bound = spec.signature.bind(*args, **kwargs)
    except TypeError as exc:
        raise TaskArgumentError(f"task {spec.name!r}: {exc}") from None
    fields = {
        "v": ENVELOPE_VERSION,
        "id": uuid.uuid4().hex,
        "name": spec.name,
        "args": list(args),
        "kwargs": dict(kwargs),
        "enqueued_at": datetime.now(UTC).isoformat(),
        "attempt": 1,
        "request_id": request_id,
    }
    try:
        body = _dumps(fields)
    except (TypeError, ValueError):
        for param, value in bound.arguments.items():
            _check_json(spec.name, param, value)
        raise
    size = len(body)  # ASCII: characters are bytes
    if size > max_bytes:
        raise TaskTooLarge(
            f"task {spec.name!r} encodes to {size} bytes; the queue takes at most {max_bytes} "
            "(TASK_MAX_MESSAGE_BYTES): pass a reference (an id, an S3 key) instead of the data"
        )
    # Decoded from its own body: the task sees exactly what the worker will see
    # (tuples become lists, and so on), locally as on AWS; and checked as the worker will
    # check it, so arguments the worker would dead-letter are refused here instead.
    envelope = TaskEnvelope.model_validate_json(body)
    spec.check(envelope.args, envelope.keyword_args)
    return EncodedTask(envelope, body)


def _dumps(data: Any) -> str:
    # ASCII-only JSON: SQS refuses some Unicode code points in a body, and escaped text
    # is always accepted. The size check counts these escaped bytes.
    return json.dumps(data, separators=(",", ":"), allow_nan=False)


def _check_json(task_name: str, param: str, value: Any) -> None:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        hint = (
            " (for a pydantic model pass .model_dump(mode='json'))"
            if hasattr(value, "model_dump")
            else ""
        )
        raise TaskArgumentError(
            f"argument {param!r} of task {task_name!r} is not JSON-serializable: {exc}{hint}"
        ) from None
