"""Faults injected into one botocore client, for the fault tests on the AWS path.

- `refuse(client, "PutItem", "ProvisionedThroughputExceededException")`: the operation
  answers that error without reaching the service, as when botocore's own retries have
  run out (the error reaches the adapter; moto, or AWS, never saw the call).
- `lose_answer(client, "SendMessageBatch")`: the service acts, then botocore sends the
  same request again, as it does when an answer is lost (a read timeout, a reset): the
  duplicate that at-least-once delivery is made of.

botocore's Stubber replaces every call of a client; these hooks fault only the chosen
operation and let moto answer the rest, so state stays real. Both are registered on the
client's own event hooks (`before-call`, `needs-retry`) and removed when the block ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from botocore.awsrequest import AWSResponse


@dataclass
class Fault:
    """How many calls the fault hit, so a test can say it happened."""

    left: int | None  # None: every call
    hits: int = 0

    def take(self) -> bool:
        if self.left is not None:
            if self.left <= 0:
                return False
            self.left -= 1
        self.hits += 1
        return True


def _event(client: Any, kind: str, operation: str) -> str:
    service = client.meta.service_model.service_id.hyphenize()
    return f"{kind}.{service}.{operation}"


@contextmanager
def refuse(
    client: Any, operation: str, code: str, *, times: int | None = None, status: int = 400
) -> Iterator[Fault]:
    """`operation` answers `code` (`times` times; None: for the whole block)."""
    fault = Fault(times)

    def answer(**_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if not fault.take():
            return None
        parsed = {
            "Error": {"Code": code, "Message": f"injected {code}"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        }
        return AWSResponse(None, status, {}, None), parsed  # type: ignore[arg-type]

    event = _event(client, "before-call", operation)
    client.meta.events.register_first(event, answer)
    try:
        yield fault
    finally:
        client.meta.events.unregister(event, answer)


@contextmanager
def lose_answer(client: Any, operation: str, *, times: int = 1) -> Iterator[Fault]:
    """After the service has acted on `operation`, botocore sends it again (`times` times)."""
    fault = Fault(times)

    def resend(response: Any = None, **_: Any) -> float | None:
        # Only a request that got an answer: that answer is the one "lost".
        if response is None or not fault.take():
            return None
        return 0.0  # retry now

    event = _event(client, "needs-retry", operation)
    client.meta.events.register_first(event, resend)
    try:
        yield fault
    finally:
        client.meta.events.unregister(event, resend)
