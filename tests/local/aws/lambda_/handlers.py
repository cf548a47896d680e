"""A tiny Lambda handler the emulator's tests run in real execution environments
(`tests.local.aws.lambda_.handlers.handler`). Importing this module is its init: it prints a
line, so a test can count inits in the log."""

from __future__ import annotations

import os
import time
from typing import Any

print(f"init pid={os.getpid()}")  # the init marker the tests count


def handler(event: dict[str, Any], context: Any) -> Any:
    """Sleeps `event["sleep"]` seconds, then does `event["do"]`: answer (default), raise,
    exit (the process dies) or answer something that is not JSON."""
    print(f"sleeping {event.get('sleep', 0)}")  # a log line of the function
    time.sleep(float(event.get("sleep", 0)))
    action = event.get("do", "answer")
    if action == "raise":
        raise ValueError("boom")
    if action == "exit":
        os._exit(3)
    if action == "not-json":
        return object()
    return {
        "pid": os.getpid(),
        "request_id": context.aws_request_id,
        "function_name": context.function_name,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "invoked_function_arn": context.invoked_function_arn,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "environ": {name: os.environ.get(name) for name in event.get("environ", [])},
    }
