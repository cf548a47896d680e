"""Domain errors and their one mapping to HTTP."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


class AppError(Exception):
    """An error the client should see: `{"error": name, "path": url}` with `status_code`."""

    status_code = 400

    def __init__(
        self, name: str, *, status_code: int | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(name)
        self.name = name
        if status_code is not None:
            self.status_code = status_code
        self.headers = headers


async def app_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)  # noqa: S101 - registered for AppError only
    return JSONResponse(
        {"error": exc.name, "path": str(request.url)}, exc.status_code, headers=exc.headers
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, app_error_handler)
