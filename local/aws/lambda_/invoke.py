"""What the emulated gateways and the SQS poller need from a function: `invoke(event)`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol


class Failure(Enum):
    """Why an invocation returned no payload, as Lambda reports it to its caller."""

    HANDLER = "handler"  # the handler raised (Lambda: a function error, "Unhandled")
    TIMEOUT = "timeout"  # the function timeout ran out; the environment was killed
    CRASH = "crash"  # the process died mid-invocation (Runtime.ExitError)
    INIT = "init"  # the entry module failed to import (Runtime.ImportModuleError / init error)
    THROTTLED = "throttled"  # every environment busy and the pool at its cap (429 TooManyRequests)


@dataclass(frozen=True)
class Invocation:
    """The outcome of one invoke: `payload` (the handler's JSON return value) or `failure`."""

    payload: Any = None
    failure: Failure | None = None
    detail: str = ""  # the error type and message, for logs: never sent to a client
    duration_ms: float = 0.0

    @property
    def ok(self) -> bool:
        return self.failure is None


class Invoker(Protocol):
    """One function: events in, one at a time per execution environment."""

    name: str

    async def invoke(self, event: dict[str, Any]) -> Invocation: ...
