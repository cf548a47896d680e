"""A Lambda context for calling an entry's handler outside Lambda.

`python -m local worker` passes one with each batch it hands to the worker's handler;
the tests pass one with each recorded event.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class LambdaContext:
    """The parts of a Lambda context the handlers and Powertools read."""

    aws_request_id: str = "local"
    function_name: str = "local"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = ""
    timeout_ms: int = 60_000

    def __post_init__(self) -> None:
        if not self.invoked_function_arn:
            arn = f"arn:aws:lambda:local:000000000000:function:{self.function_name}"
            self.invoked_function_arn = arn

    def get_remaining_time_in_millis(self) -> int:
        return self.timeout_ms
