"""What every entry point shares, with no web framework: the execution environment's one
event loop (`environment_loop`), logging (`configure_logging`, `bind_lambda_context`),
and the current request's id (`request_id_var`)."""

from __future__ import annotations

from handler.platform.runtime.event_loop import environment_loop
from handler.platform.runtime.logs import bind_lambda_context, configure_logging
from handler.platform.runtime.request_id import request_id_var

__all__ = ["bind_lambda_context", "configure_logging", "environment_loop", "request_id_var"]
