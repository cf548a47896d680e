"""Context shared by the HTTP app and the worker, kept free of Starlette: the worker
Lambda imports it, and its cold start should not pay for the web framework."""

from __future__ import annotations

from contextvars import ContextVar

# The id of the HTTP request being served (or that queued the running task), for logs
# and for task envelopes.
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
