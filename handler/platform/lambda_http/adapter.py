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
from functools import cached_property
from types import FrameType
from typing import Any, cast

from mangum import Mangum
from mangum.handlers import ALB, APIGateway, HTTPGateway, LambdaAtEdge
from starlette.types import ASGIApp

from handler.platform.lambda_cycle import run_http_cycle
from handler.platform.lifespan import LifespanRunner
from handler.platform.logs import bind_lambda_context
from handler.platform.loop import environment_loop

logger = logging.getLogger(__name__)

EXPECTED_EVENTS = (
    "an API Gateway REST (v1) or HTTP API (v2) proxy event, an ALB target event, "
    "or a Lambda Function URL event"
)
_MALFORMED = (KeyError, TypeError, ValueError, AttributeError, IndexError)


def _scope_once(source: type) -> type:
    """Mangum's event handlers rebuild `scope` on every access (twice per invocation
    for HTTP API events); cache it per event instead."""
    return type(source.__name__, (source,), {"scope": cached_property(source.scope.fget)})  # type: ignore[attr-defined]


def _alb_scope(self: Any) -> dict[str, Any]:
    """An ALB appends the peer it saw to X-Forwarded-For; earlier entries are whatever the
    client sent. Mangum takes the whole header as the client, so keep only the last entry."""
    scope: dict[str, Any] = ALB.scope.fget(self)  # type: ignore[attr-defined]
    host, port = scope["client"]
    scope["client"] = ((host or "").rsplit(",", 1)[-1].strip(), port)
    return scope


TrustedALB = type("ALB", (ALB,), {"scope": cached_property(_alb_scope)})
EVENT_SOURCES = [
    TrustedALB,
    *(_scope_once(source) for source in (HTTPGateway, APIGateway, LambdaAtEdge)),
]


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
        _apply_stage_prefix(scope, event)
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


def _apply_stage_prefix(scope: dict[str, Any], event: dict[str, Any]) -> None:
    """Expose an API Gateway stage (or custom-domain base path) as the ASGI `root_path`,
    so generated URLs (`/prod/docs` -> `/prod/openapi.json`) keep the prefix."""
    context = event.get("requestContext") or {}
    prefix = ""
    if "httpMethod" in event and isinstance(context.get("path"), str):
        # REST v1: `path` is the resource path, requestContext.path the one the client used.
        full, path = context["path"], event.get("path") or "/"
        if full != path and full.endswith(path):
            prefix = full[: len(full) - len(path)].rstrip("/")
    elif event.get("version") == "2.0":
        stage = context.get("stage") or "$default"
        candidate = f"/{stage}"
        if stage != "$default" and (
            scope["path"] == candidate or scope["path"].startswith(candidate + "/")
        ):
            prefix = candidate
    if prefix:
        scope["root_path"] = prefix
        if not scope["path"].startswith(prefix + "/") and scope["path"] != prefix:
            scope["path"] = prefix + scope["path"]


def _bad_event(detail: str) -> dict[str, Any]:
    logger.error("unsupported event: %s; expected %s", detail, EXPECTED_EVENTS)
    body = {"error": "Unsupported event", "detail": detail, "expected": EXPECTED_EVENTS}
    return {
        "statusCode": 400,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }
