"""Run an ASGI app on Lambda: Mangum translates events, this adapter owns the lifespan.

Stock `Mangum(app)` enters and leaves the lifespan around every invocation, so every
pool or client the lifespan creates is rebuilt per request. Here the lifespan is
entered once, when the execution environment initialises, its state is copied into
every request scope (as uvicorn does), and SIGTERM runs the shutdown.

HTTP API payload 2.0 events, nearly every invocation, skip Mangum both ways (`http_api`:
the same scope and response dict, for half the adapter's cost per invocation).

`__call__` never raises, whatever JSON value it is given: Mangum trusts every field of
an event, so reading one is guarded whole (an event it cannot read answers 400, logged
once at WARNING), the scope it builds is checked (`scope_check`) before the app sees it,
and the answer's conversion back to Lambda's shape is guarded too (a 500 then).
"""

from __future__ import annotations

import atexit
import json
import logging
import signal
import sys
from collections.abc import Callable
from functools import partial
from types import FrameType
from typing import Any, cast

from mangum import Mangum
from starlette.types import ASGIApp

from handler.platform.http.middleware import internal_error_body
from handler.platform.lambda_http.cycle import run_http_cycle
from handler.platform.lambda_http.event_sources import EVENT_SOURCES, apply_stage_prefix
from handler.platform.lambda_http.http_api import http_api_response, is_http_api, read_http_api
from handler.platform.lambda_http.lifespan import LifespanRunner
from handler.platform.lambda_http.scope_check import scope_problem
from handler.platform.runtime.event_loop import environment_loop
from handler.platform.runtime.logs import bind_lambda_context

logger = logging.getLogger(__name__)

EXPECTED_EVENTS = (
    "an API Gateway REST (v1) or HTTP API (v2) proxy event, an ALB target event, "
    "or a Lambda Function URL event"
)
# Mangum decodes header values as UTF-8; an app may send any latin-1 byte (HTTP's own).
_HEADER_ENCODING = "latin-1"

# The answer (status, headers, body) as Lambda's response dict.
Respond = Callable[[dict[str, Any]], dict[str, Any]]
# How to answer an event, its ASGI scope and body; or what makes it unreadable.
Read = tuple[Respond, dict[str, Any], bytes] | str


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
        self._respond_http_api: Respond = partial(
            http_api_response, text_mime_types=self._mangum.config["text_mime_types"]
        )
        self._lifespan = LifespanRunner(app)
        self.loop.run_until_complete(self._lifespan.startup())

    def __call__(self, event: Any, context: Any) -> dict[str, Any]:
        bind_lambda_context(context)
        if not isinstance(event, dict):
            return _bad_event(f"event is {type(event).__name__}, not a JSON object")
        read = self._read(event, context)
        if isinstance(read, str):
            return _bad_event(read)
        respond, scope, body = read
        answer = self.loop.run_until_complete(run_http_cycle(self.app, scope, body))
        try:
            response = respond(answer)
        except Exception:
            logger.exception("the answer to %s %s could not be converted", *_line(scope))
            return _internal_error(scope)
        return response

    def _read(self, event: dict[str, Any], context: Any) -> Read:
        """How to answer `event`, its ASGI scope and body, or what makes it unreadable.

        Every step trusts the event (Mangum's `infer` indexes `requestContext`, its
        `scope` calls `.encode()` on header values...): any exception here is the
        event's fault, answered 400, never ours to raise."""
        if not is_http_api(event):
            return self._read_by_mangum(event, context)
        try:
            read = read_http_api(event, context, self._lifespan.state.copy())
        except Exception as exc:
            return f"malformed HTTPGateway event: {_short(exc)}"
        if isinstance(read, str):
            return f"malformed HTTPGateway event: {read}"
        scope, body = read
        return self._respond_http_api, scope, body

    def _read_by_mangum(self, event: dict[str, Any], context: Any) -> Read:
        try:
            source = self._mangum.infer(event, context)
        except RuntimeError:
            return f"no known event shape; keys: {_keys(event)}"
        except Exception as exc:
            return f"unreadable event: {_short(exc)}"
        name = type(source).__name__
        try:
            scope = cast(dict[str, Any], source.scope)
            body = source.body
            problem = scope_problem(scope)
            if problem is None:
                scope["state"] = self._lifespan.state.copy()
                # Writes text only (path, root_path): the checked scope stays fit.
                apply_stage_prefix(scope, event)
        except Exception as exc:
            return f"malformed {name} event: {_short(exc)}"
        if problem is not None:
            return f"malformed {name} event: {problem}"
        return partial(_mangum_response, source), scope, body

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


def _mangum_response(source: Any, answer: dict[str, Any]) -> dict[str, Any]:
    response: dict[str, Any] = source(_utf8_headers(answer))
    return response


def _utf8_headers(answer: dict[str, Any]) -> dict[str, Any]:
    """The answer with every header value valid UTF-8: an HTTP header is latin-1, and a
    byte that is not UTF-8 would make Mangum's conversion raise."""
    headers = answer["headers"]
    if all(value.isascii() for _, value in headers):
        return answer  # the usual case: nothing to convert
    return {**answer, "headers": [(name, _utf8(value)) for name, value in headers]}


def _utf8(value: bytes) -> bytes:
    try:
        value.decode()
    except UnicodeDecodeError:
        return value.decode(_HEADER_ENCODING).encode()
    return value


def _line(scope: dict[str, Any]) -> tuple[str, str]:
    return str(scope.get("method")), str(scope.get("path"))[:200]


def _keys(event: dict[str, Any]) -> str:
    return _short(sorted(str(key)[:40] for key in event)[:20])


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 300 else text[:300] + "..."


def _internal_error(scope: dict[str, Any]) -> dict[str, Any]:
    return {
        "statusCode": 500,
        "headers": {"content-type": "application/json"},
        "body": internal_error_body(scope).decode(),
        "isBase64Encoded": False,
    }


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
