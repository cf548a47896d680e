"""ACCESS_LOG: one line per request, cheap by default; a logging record on request; none."""

from __future__ import annotations

import logging
import re
from typing import Literal

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from handler.platform.http.access_log import AccessLogMiddleware
from handler.platform.http.middleware import UnhandledErrorMiddleware
from tests.support.platform_app import platform_app, test_settings

LINE = re.compile(r"\d\d:\d\d:\d\d [A-Z]+ \S+ \d{3} \d+\.\dms")


def logged_app(mode: Literal["line", "log"]) -> FastAPI:
    app = platform_app()

    @app.get("/hello")
    async def hello() -> dict[str, str]:
        return {"hello": "world"}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    app.add_middleware(UnhandledErrorMiddleware)
    app.add_middleware(AccessLogMiddleware, mode=mode)
    return app


def test_line_names_method_path_status_and_time(capsys: pytest.CaptureFixture[str]) -> None:
    with TestClient(logged_app("line")) as client:
        capsys.readouterr()
        assert client.get("/hello?page=2").status_code == 200
        assert client.get("/boom").status_code == 500
    lines = [line for line in capsys.readouterr().out.splitlines() if LINE.fullmatch(line)]
    assert [line.split(" ", 1)[1].rsplit(" ", 1)[0] for line in lines] == [
        "GET /hello?page=2 200",
        "GET /boom 500",
    ]


def test_log_mode_is_a_record_of_the_access_logger(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    with TestClient(logged_app("log")) as client, caplog.at_level(logging.INFO):
        capsys.readouterr()
        client.get("/hello")
    records = [r.getMessage() for r in caplog.records if r.name == "handler.access"]
    assert len(records) == 1
    assert re.fullmatch(r"GET /hello 200 \d+\.\dms", records[0])
    assert not [line for line in capsys.readouterr().out.splitlines() if LINE.fullmatch(line)]


def test_auto_is_line_locally_and_off_on_lambda() -> None:
    assert test_settings(aws_lambda_function_name="http").access_log_mode == "off"
    assert test_settings().access_log_mode == "line"
    assert test_settings(access_log="log").access_log_mode == "log"
