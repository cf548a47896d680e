"""The X-Ray trace header of the work being done, carried from a request to its tasks.

On Lambda the runtime sets `_X_AMZN_TRACE_ID` for each invocation (with active tracing:
`Root=...;Parent=<the function's segment>;Sampled=1`); it is read per request, not kept
in Settings, because it changes with every invocation. Elsewhere a request's own
`X-Amzn-Trace-Id` header (an ALB's or API Gateway's) is used. The SQS queue sends it as
the message's `AWSTraceHeader` system attribute, so X-Ray joins the worker's invocation
to the request's trace, and the worker's log lines name the request's trace.

A header is only ever passed on after `clean_trace_header` rebuilt it from its `Root`,
`Parent` and `Sampled` fields, each checked: SQS refuses a malformed `AWSTraceHeader`
(the request would answer 503), and a client must not be able to smuggle text into it.
"""

from __future__ import annotations

import os
import re
from contextvars import ContextVar

# The trace header of the request being served, or of the task being run.
trace_header_var: ContextVar[str | None] = ContextVar("trace_header", default=None)

LAMBDA_TRACE_VARIABLE = "_X_AMZN_TRACE_ID"
_MAX_HEADER = 512
_FIELDS = {
    "Root": re.compile(r"1-[0-9a-f]{8}-[0-9a-f]{24}"),
    "Parent": re.compile(r"[0-9a-f]{16}"),
    "Sampled": re.compile(r"[01?]"),
}


def clean_trace_header(header: str | None) -> str | None:
    """`Root=...[;Parent=...][;Sampled=...]` from `header`, or None without a valid Root."""
    if not header or len(header) > _MAX_HEADER:
        return None
    fields: dict[str, str] = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        pattern = _FIELDS.get(name)
        if pattern is not None and name not in fields and pattern.fullmatch(value):
            fields[name] = value
    if "Root" not in fields:
        return None
    return ";".join(f"{name}={fields[name]}" for name in _FIELDS if name in fields)


def trace_id(header: str | None) -> str | None:
    """The trace id (`1-...`, the Root) of a trace header: what X-Ray's console searches."""
    cleaned = clean_trace_header(header)
    return cleaned.split(";", 1)[0].removeprefix("Root=") if cleaned else None


def invocation_trace_header() -> str | None:
    """The Lambda invocation's trace header (None outside Lambda, or untraced)."""
    return clean_trace_header(os.environ.get(LAMBDA_TRACE_VARIABLE))
