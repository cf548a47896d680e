"""The app the HTTP glue's tests share: a small one on the platform with a cached route
and a rate-limited one (`cache_and_limits_app`). A test adds its own routes to it;
`client` and `lambda_handler` (tests/conftest.py) drive it."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from handler.platform.settings import PlatformSettings
from tests.support.platform_app import cache_and_limits_app, test_settings


@pytest.fixture
def settings() -> PlatformSettings:
    return test_settings()


@pytest.fixture
def app(settings: PlatformSettings) -> FastAPI:
    return cache_and_limits_app(settings)
