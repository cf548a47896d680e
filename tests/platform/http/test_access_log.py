"""ACCESS_LOG: one line per request, cheap by default; a logging record on request; none."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from handler.app import create_app
from handler.settings import Settings

LINE = re.compile(r"\d\d:\d\d:\d\d [A-Z]+ \S+ \d{3} \d+\.\dms")


def _client(**settings: str) -> TestClient:
    return TestClient(create_app(Settings(environment="test", **settings)))  # type: ignore[arg-type]


def test_line_names_method_path_status_and_time(capsys: pytest.CaptureFixture[str]) -> None:
    with _client() as client:  # auto: `line` when not on Lambda
        capsys.readouterr()
        assert client.get("/api/v1/users?page=2").status_code == 200
        assert client.get("/boom").status_code == 500
    lines = [line for line in capsys.readouterr().out.splitlines() if LINE.fullmatch(line)]
    assert [line.split(" ", 1)[1].rsplit(" ", 1)[0] for line in lines] == [
        "GET /api/v1/users?page=2 200",
        "GET /boom 500",
    ]


def test_log_mode_is_a_record_of_the_access_logger(capsys: pytest.CaptureFixture[str]) -> None:
    with _client(access_log="log") as client:  # the app's logging: text here, JSON on Lambda
        capsys.readouterr()
        client.get("/api/v1/users")
    out = capsys.readouterr().out
    assert re.search(r" INFO +handler\.access: GET /api/v1/users 200 \d+\.\dms\n", out)
    assert not [line for line in out.splitlines() if LINE.fullmatch(line)]


def test_off_writes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    with _client(access_log="off") as client:
        capsys.readouterr()
        client.get("/api/v1/users")
    assert not [line for line in capsys.readouterr().out.splitlines() if LINE.fullmatch(line)]


def test_auto_is_off_on_lambda() -> None:
    assert Settings(aws_lambda_function_name="http").access_log_mode == "off"
    assert Settings().access_log_mode == "line"
