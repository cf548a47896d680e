"""The seed's demo routes: a custom error, an unhandled error, a hidden route, health."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request

from handler.platform.errors import AppError

router = APIRouter(tags=["demo"])


class UnicornError(AppError):
    status_code = 418


@router.get("/unicorns/{name}")
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


@router.get("/health", tags=["ops"])
async def health(request: Request) -> dict[str, Any]:
    """Lifespan state seen by this request: `started_at` stays fixed across requests."""
    started_at: float = request.state.started_at
    return {"status": "ok", "started_at": started_at, "uptime": time.time() - started_at}
