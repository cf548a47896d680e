"""The Lambda context object, for calling an entry's handler outside Lambda.

One class for every caller: the emulator's execution environments (`runtime.py`,
a deadline per event, names from the runtime's variables), `python -m local worker`, and
the tests with their recorded events. Standard library only: the emulator's child
processes import it during their init.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field


@dataclass
class LambdaContext:
    """The parts of a Lambda context the handlers and Powertools read.

    `get_remaining_time_in_millis` counts down from `timeout_ms`, from when the context
    was made, as Lambda's does from the start of the invocation.
    """

    aws_request_id: str = "local"
    function_name: str = field(default_factory=lambda: _env("AWS_LAMBDA_FUNCTION_NAME", "local"))
    memory_limit_in_mb: int = field(
        default_factory=lambda: int(_env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512"))
    )
    invoked_function_arn: str = ""
    timeout_ms: int = 60_000
    function_version: str = field(
        default_factory=lambda: _env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
    )
    log_group_name: str = field(default_factory=lambda: _env("AWS_LAMBDA_LOG_GROUP_NAME", ""))
    log_stream_name: str = field(default_factory=lambda: _env("AWS_LAMBDA_LOG_STREAM_NAME", ""))
    identity: None = None
    client_context: None = None
    _deadline: float = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.invoked_function_arn:
            arn = f"arn:aws:lambda:local:000000000000:function:{self.function_name}"
            self.invoked_function_arn = arn
        self._deadline = time.monotonic() + self.timeout_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default
