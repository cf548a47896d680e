"""The app the HTTP glue's tests share: a small one on the platform with a cached route
and a rate-limited one, as a user's API would declare them. A test adds its own routes
to it; `client` and `lambda_handler` (tests/conftest.py) drive it."""

from __future__ import annotations

import time
import uuid

import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from handler.platform.http.cached import cached
from handler.platform.http.rate_limit import rate_limit
from handler.platform.settings import PlatformSettings
from tests.support.platform_app import platform_app, test_settings


class Computed(BaseModel):
    computed_at: float
    value: str


@pytest.fixture
def settings() -> PlatformSettings:
    return test_settings()


@pytest.fixture
def app(settings: PlatformSettings) -> FastAPI:
    app = platform_app(settings)

    @app.get("/cached")
    @cached(ttl=60)
    async def cached_value() -> Computed:
        return Computed(computed_at=time.time(), value=uuid.uuid4().hex)

    @app.get("/limited", dependencies=[rate_limit("5/minute")])
    async def limited() -> dict[str, str]:
        return {"detail": "within the limit"}

    return app
