"""Every error the app answers has one shape: `{"error": ..., "path": ...}`, plus `detail`
where there is one.

`AppError` is the error a route raises on purpose. Every error of the platform's family
(`handler.platform.errors`: AppError, the limiter's and the queue's 503s, an invalid
cursor, a resource's own errors) carries its status, name, detail and headers, and one
handler answers them all: Starlette looks a handler up along the exception's class
hierarchy, so a subclass needs no registration. The handlers here also turn Starlette's
`HTTPException` (404, 405) and FastAPI's validation error (422, the errors under
`detail`) into that shape. `error_responses(404, 409)` documents the shape in a route's
OpenAPI `responses=`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match

from handler.platform.errors import PlatformError
from handler.platform.http.error_docs import install_error_docs, openapi_error

# A validation error echoes the offending input; a client can send megabytes of it.
MAX_ECHO = 200
# `path` is the request URL, whose query string is the client's to fill (10 KB behind
# API Gateway): echo its start only.
MAX_PATH_ECHO = 1024


logger = logging.getLogger(__name__)


class AppError(PlatformError):
    """An error the client should see: `{"error": name, "path": url}` with `status_code`
    (400 unless a subclass or the raise says otherwise)."""

    status_code = 400

    def __init__(
        self,
        name: str,
        *,
        status_code: int | None = None,
        headers: dict[str, str] | None = None,
        detail: Any = None,
    ) -> None:
        super().__init__(name, detail=detail, headers=headers)
        self.error = self.name = name
        if status_code is not None:
            self.status_code = status_code  # type: ignore[misc]


def error_body(error: str, path: str, detail: Any = None) -> dict[str, Any]:
    """The one error shape; `path` cut to MAX_PATH_ECHO characters."""
    if len(path) > MAX_PATH_ECHO:
        path = path[:MAX_PATH_ECHO] + "..."
    body: dict[str, Any] = {"error": error, "path": path}
    if detail is not None:
        body["detail"] = detail
    return body


def error_response(
    request: Request,
    status_code: int,
    error: str,
    *,
    detail: Any = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = error_body(error, str(request.url), detail)
    return JSONResponse(body, status_code, headers=headers)


async def platform_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """Any error of the family, as it says itself."""
    assert isinstance(exc, PlatformError)  # noqa: S101 - registered for PlatformError only
    if exc.log_level > logging.INFO:
        logger.log(exc.log_level, "answering %d: %s", exc.status_code, exc)
    return error_response(
        request, exc.status_code, exc.error, detail=exc.detail, headers=exc.headers
    )


async def http_exception_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)  # noqa: S101
    name = phrase(exc.status_code)
    # Starlette's detail defaults to the phrase itself: say it once.
    detail = exc.detail if exc.detail != name else None
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
    return error_response(request, exc.status_code, name, detail=detail, headers=headers)


def _allowed_methods(request: Request) -> str:
    """Every method some route serves at this path. Starlette's 405 names only the first
    route whose path matched, so a path served by several routes (GET, PATCH and DELETE
    declared apart) would answer `Allow: GET` alone."""
    # Asked through `matches` alone: routers nest (included routers), methods are theirs.
    routes = request.app.router.routes
    return ", ".join(
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    )


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)  # noqa: S101
    detail = [_bounded(error) for error in exc.errors()]
    return error_response(request, 422, "Validation error", detail=detail)


def install_error_handlers(app: FastAPI) -> None:
    handlers: dict[type[Exception], Callable[[Request, Exception], Any]] = {
        PlatformError: platform_error_handler,
        HTTPException: http_exception_handler,
        RequestValidationError: validation_error_handler,
    }
    for kind, handler in handlers.items():
        app.add_exception_handler(kind, handler)
    install_error_docs(app)


def phrase(status_code: int) -> str:
    """The status's reason phrase (`Not Found`), or `Error` for a code HTTP does not name."""
    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return "Error"


def _bounded(error: Mapping[str, Any]) -> dict[str, Any]:
    """One validation error, JSON-safe, its echoed input cut to MAX_ECHO characters."""
    bounded: dict[str, Any] = {key: error[key] for key in ("type", "msg") if key in error}
    if "loc" in error:  # a key of the client's own object can be part of it
        bounded["loc"] = [
            part if isinstance(part, int) else _excerpt(part) for part in error["loc"]
        ]
    if "input" in error:
        bounded["input"] = _excerpt(error["input"])
    return bounded


def _excerpt(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        value = bytes(value[: MAX_ECHO * 4]).decode("utf-8", "replace")
    if isinstance(value, str):
        return value if len(value) <= MAX_ECHO else value[:MAX_ECHO] + "..."
    if value is None or isinstance(value, bool | int | float):
        return value
    text = repr(value)  # dicts, lists: their size is the client's choice too
    return text if len(text) <= MAX_ECHO else text[:MAX_ECHO] + "..."


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """A route's `responses=` entry for each status it may answer in the error shape
    (the shared `Error` component of the schema)."""
    return {status: openapi_error(phrase(status)) for status in statuses}
