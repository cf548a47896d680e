"""The app the adapter's tests drive: a small one on the platform, with a route for each
kind of answer (JSON, the lifespan state, an error, a crash, a stream, the docs) and the
middleware that stamp every answer. `lambda_handler` (tests/conftest.py) wraps it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse

from handler.platform.http.api_docs import install_api_docs
from handler.platform.http.app_state import PlatformState, state_of
from handler.platform.http.errors import AppError
from handler.platform.http.middleware import (
    CustomHeaderMiddleware,
    ProcessTimeMiddleware,
    RequestIdMiddleware,
    UnhandledErrorMiddleware,
)
from tests.support.platform_app import platform_app

CUSTOM = "adapter-test"


class Teapot(AppError):
    status_code = 418


@pytest.fixture
def app() -> FastAPI:
    app = platform_app(version="1.0.0", docs_url=None, redoc_url=None)

    @app.get("/health")
    async def health(request: Request) -> dict[str, float]:
        return {"started_at": state_of(request, PlatformState).started_at}

    @app.get("/items")
    async def items() -> dict[str, list[int]]:
        return {"items": [1, 2]}

    @app.get("/teapot")
    async def teapot() -> None:
        raise Teapot("teapot")

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("this message must never reach the client")

    @app.get("/internal", include_in_schema=False)
    async def internal() -> dict[str, str]:
        return {"hidden": "yes"}

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        async def events() -> AsyncIterator[str]:
            for i in range(10):
                yield f"data: {i}\n\n"
                await asyncio.sleep(0)

        return StreamingResponse(events(), media_type="text/event-stream")

    install_api_docs(app)
    app.add_middleware(UnhandledErrorMiddleware)
    app.add_middleware(CustomHeaderMiddleware, value=CUSTOM)
    app.add_middleware(ProcessTimeMiddleware)
    app.add_middleware(RequestIdMiddleware)
    return app
