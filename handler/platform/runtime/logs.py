"""Logging: readable text locally, Powertools JSON with the Lambda request id on Lambda.

The formatter goes on the root logger, so every module's `logging.getLogger(__name__)`
(and uvicorn's, Mangum's, boto's) writes the same structured lines.
"""

from __future__ import annotations

import logging
import re
import sys
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

# Set by a driver that refused a WebSocket handshake on purpose, with an HTTP answer.
handshake_denied: ContextVar[bool] = ContextVar("handshake_denied", default=False)
_json_formatter: LambdaPowertoolsFormatter | None = None
# The formatter and the function (ARN, name) whose keys it holds, once stamped.
_bound: tuple[object, object] | None = None
_TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def configure_logging(*, json: bool, level: str = "INFO", service: str = "service") -> None:
    """Install one stdout handler on the root logger (idempotent: the last call wins):
    Powertools JSON lines naming `service` when `json`, text lines otherwise."""
    global _json_formatter  # noqa: PLW0603 - one process-wide logging configuration
    formatter: logging.Formatter
    if json:
        from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

        _json_formatter = LambdaPowertoolsFormatter(service=service)
        formatter = _json_formatter
    else:
        _json_formatter = None
        formatter = logging.Formatter(_TEXT_FORMAT)
    stream = logging.StreamHandler(sys.stdout)
    stream.setFormatter(formatter)
    stream.addFilter(ServerLogFilter())
    root = logging.getLogger()
    # The Lambda runtime pre-installs its own handler; replace it so lines are not doubled.
    root.handlers[:] = [stream]
    root.setLevel(level)


class ServerLogFilter(logging.Filter):
    """uvicorn's lines, named for what they are.

    uvicorn logs its start, stop and every WebSocket handshake as `uvicorn.error`: they
    are not errors, so they are named `uvicorn` here. And after an app refuses a handshake
    with an HTTP answer (the denial-response extension: a complete answer), uvicorn 0.54
    still logs "ASGI callable returned without completing handshake." at ERROR; that
    line is dropped when the refusal was deliberate (`handshake_denied`, set in the same
    task that uvicorn logs from). uvicorn also logs each handshake's path with its query
    string, and a browser's WebSocket can carry its bearer token only there (`?token=`):
    the token's value is blanked, so a log reader never holds a working credential.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "uvicorn.error":
            if record.msg == _UNFINISHED_HANDSHAKE and handshake_denied.get():
                return False
            record.name = "uvicorn"
            if isinstance(record.args, tuple) and record.args:
                record.args = tuple(
                    _TOKEN_IN_QUERY.sub(r"\1[redacted]", arg) if isinstance(arg, str) else arg
                    for arg in record.args
                )
        return True


_UNFINISHED_HANDSHAKE = "ASGI callable returned without completing handshake."
# `token=` as a query parameter (also `access_token=`), up to the next parameter.
_TOKEN_IN_QUERY = re.compile(r"([?&](?:access_)?token=)[^&\s\"]*", re.IGNORECASE)


def bind_lambda_context(context: Any, **extra: Any) -> None:
    """Stamp the invocation's request id (and extras) on every following JSON log line:
    the keys Powertools' `inject_lambda_context` adds, read here without building its
    context model (that model cost most of this call, on every invocation). Within one
    function only the request id changes from one invocation to the next: once the
    function's keys are stamped, that is all that is written."""
    global _bound  # noqa: PLW0603 - what the process's one formatter already holds
    formatter = _json_formatter
    if formatter is None or context is None:
        return
    try:
        function = (context.invoked_function_arn, context.function_name)
        request_id = context.aws_request_id
        if _bound == (formatter, function) and not extra:
            formatter.append_keys(function_request_id=request_id)
            return
        keys = {
            "function_name": context.function_name,
            "function_memory_size": context.memory_limit_in_mb,
            "function_arn": context.invoked_function_arn,
            "function_request_id": request_id,
        }
    except AttributeError:  # a hand-made context in a test or a direct invoke
        keys = {"function_request_id": getattr(context, "aws_request_id", None)}
        function = None
    formatter.append_keys(**keys, **extra)
    _bound = (formatter, function) if function is not None and not extra else None
