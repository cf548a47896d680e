"""JSON log lines on Lambda carry the invocation's request id and the function's keys, as
Powertools' `inject_lambda_context` writes them, invocation after invocation."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from handler.platform.runtime import logs


@dataclass
class Context:
    aws_request_id: str
    function_name: str = "users-http"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:users-http"


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    logs.configure_logging(json=True, level="INFO", service="svc")
    stream = io.StringIO()
    logging.getLogger().handlers[0].stream = stream  # type: ignore[attr-defined]
    yield stream
    logs.configure_logging(json=False)


def logged(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_each_line_names_its_invocation_and_the_function(lines: io.StringIO) -> None:
    log = logging.getLogger("test.logs")
    for request_id in ("req-1", "req-2"):
        logs.bind_lambda_context(Context(request_id))
        log.info("served")
    other = Context("req-3", function_name="users-ws", invoked_function_arn="arn:...:users-ws")
    logs.bind_lambda_context(other, connection_id="c-1")
    log.info("served")
    keys = ("function_request_id", "function_name", "function_arn", "function_memory_size")
    assert [tuple(line[key] for key in keys) for line in logged(lines)] == [
        ("req-1", "users-http", Context("").invoked_function_arn, 1024),
        ("req-2", "users-http", Context("").invoked_function_arn, 1024),
        ("req-3", "users-ws", "arn:...:users-ws", 1024),
    ]
    assert logged(lines)[-1]["connection_id"] == "c-1"


def test_a_context_without_the_function_keys_still_names_the_request(lines: io.StringIO) -> None:
    class Bare:
        aws_request_id = "req-9"

    logs.bind_lambda_context(Bare())
    logging.getLogger("test.logs").warning("served")
    assert logged(lines)[-1]["function_request_id"] == "req-9"
