"""Run an ASGI app on Lambda: Mangum translates events, this adapter owns the lifespan.

Stock `Mangum(app)` enters and leaves the lifespan around every invocation, so every
pool or client the lifespan creates is rebuilt per request. Here the lifespan is
entered once, when the execution environment initialises, its state is copied into
every request scope (as uvicorn does), and SIGTERM runs the shutdown.
"""

from __future__ import annotations

import atexit
import json
import logging
import signal
import sys
from types import FrameType
from typing import Any, cast

from mangum import Mangum
from starlette.types import ASGIApp

from handler.platform.lambda_http.cycle import run_http_cycle
from handler.platform.lambda_http.event_sources import EVENT_SOURCES, apply_stage_prefix
from handler.platform.lambda_http.lifespan import LifespanRunner
from handler.platform.runtime.event_loop import environment_loop
from handler.platform.runtime.logs import bind_lambda_context

logger = logging.getLogger(__name__)

EXPECTED_EVENTS = (
    "an API Gateway REST (v1) or HTTP API (v2) proxy event, an ALB target event, "
    "or a Lambda Function URL event"
)
_MALFORMED = (KeyError, TypeError, ValueError, AttributeError, IndexError)


class LambdaHttpAdapter:
    """`handler(event, context)` for HTTP events; raises at construction if startup fails."""

    def __init__(self, app: ASGIApp, *, text_mime_types: list[str] | None = None) -> None:
        self.app = app
        # The environment's loop (current, so Mangum and libraries that ask for "the" loop
        # agree with the one the lifespan's resources are bound to).
        self.loop = environment_loop()
        self._closed = False
        self._mangum = Mangum(
            cast(Any, app),
            lifespan="off",
            custom_handlers=EVENT_SOURCES,
            text_mime_types=text_mime_types,
        )
        self._lifespan = LifespanRunner(app)
        self.loop.run_until_complete(self._lifespan.startup())

    def __call__(self, event: Any, context: Any) -> dict[str, Any]:
        bind_lambda_context(context)
        if not isinstance(event, dict):
            return _bad_event(f"event is {type(event).__name__}, not a JSON object")
        try:
            source = self._mangum.infer(event, context)
        except RuntimeError:
            return _bad_event(f"no known event shape; keys: {sorted(event)[:20]}")
        try:
            scope = cast(dict[str, Any], source.scope)
            body = source.body
        except _MALFORMED as exc:
            return _bad_event(f"malformed {type(source).__name__} event: {exc!r}")
        scope["state"] = self._lifespan.state.copy()
        apply_stage_prefix(scope, event)
        answer = self.loop.run_until_complete(run_http_cycle(self.app, scope, body))
        response: dict[str, Any] = source(cast(Any, answer))
        return response

    def close(self) -> None:
        """Run the lifespan shutdown (idempotent). The loop is the environment's and stays
        open: another adapter in this process may still use it."""
        if self._closed or self.loop.is_closed():
            return
        self._closed = True
        self.loop.run_until_complete(self._lifespan.shutdown())

    def install_shutdown_hooks(self) -> None:
        """Lambda sends SIGTERM before it ends an environment (when an extension is
        registered): run the lifespan shutdown then, so pools close cleanly. A process
        that simply exits (a script, a local run) shuts down the same way."""
        signal.signal(signal.SIGTERM, self._on_sigterm)
        atexit.register(self.close)

    def _on_sigterm(self, signum: int, frame: FrameType | None) -> None:
        if self.loop.is_running():
            # Not expected on Lambda (SIGTERM comes between invocations); never block
            # a running loop from inside it.
            logger.warning("SIGTERM during an invocation; shutdown skipped")
            return
        logger.info("SIGTERM: running lifespan shutdown")
        try:
            self.close()
        finally:
            for handler in logging.getLogger().handlers:
                handler.flush()
            sys.exit(0)


def _bad_event(detail: str) -> dict[str, Any]:
    # The caller's mistake, answered 400: a warning, not an error of ours.
    logger.warning("unsupported event: %s; expected %s", detail, EXPECTED_EVENTS)
    body = {"error": "Unsupported event", "detail": detail, "expected": EXPECTED_EVENTS}
    return {
        "statusCode": 400,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }
