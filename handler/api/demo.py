"""The seed's demo routes: a custom error, an unhandled error, a hidden route."""

from __future__ import annotations

from fastapi import APIRouter

from handler.platform.http.error_docs import openapi_error
from handler.platform.http.errors import AppError

router = APIRouter(tags=["demo"])


class UnicornError(AppError):
    status_code = 418


@router.get(
    "/unicorns/{name}", responses={418: openapi_error("The unicorn is `yolo`: the custom error")}
)
async def read_unicorn(name: str) -> dict[str, str]:
    """Raises the custom error for `yolo`: 418 `{"error": "yolo", "path": ...}`."""
    if name == "yolo":
        raise UnicornError(name)
    return {"unicorn_name": name}


@router.get("/boom")
async def boom() -> None:
    """Fails on purpose: shows the 500 answer, which carries no stack trace."""
    raise RuntimeError("this message must never reach the client")


@router.get("/internal", include_in_schema=False)
async def internal() -> dict[str, str]:
    return {"detail": "not in the OpenAPI schema"}
