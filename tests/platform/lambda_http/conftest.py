"""The app the adapter's tests drive: `every_answer_app` (tests/support/platform_app.py),
a small one on the platform with a route for each kind of answer and the middleware that
stamp every answer. `lambda_handler` (tests/conftest.py) wraps it."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from tests.support.platform_app import every_answer_app


@pytest.fixture
def app() -> FastAPI:
    return every_answer_app()
