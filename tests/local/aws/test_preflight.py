"""The emulator says "ready" only when it can serve: each function's settings are ones the
app accepts, and the Redis it was given answers; otherwise one line and exit code 2."""

from __future__ import annotations

import argparse
import asyncio

import pytest

from local.__main__ import aws_options
from local.aws import topology
from local.aws.preflight import NotReady, check_redis, check_settings
from tests.support.processes import child_env, run_python

FINE = {**topology.BASE_ENVIRONMENT, "STAGE": "dev"}


def test_a_setting_the_app_refuses_is_named_with_its_function() -> None:
    environments = {
        topology.WEBSOCKET: FINE,
        topology.HTTP: {**FINE, "LOG_LEVEL": "LOUD"},
    }
    with pytest.raises(NotReady, match=r"the http function's settings: .*LOG_LEVEL='LOUD'"):
        asyncio.run(check_settings(environments))


def test_settings_the_app_accepts_pass() -> None:
    asyncio.run(check_settings({topology.HTTP: FINE, topology.WORKER: FINE}))


def test_a_redis_that_does_not_answer_is_refused() -> None:
    with pytest.raises(NotReady, match=r"--redis-url redis://127.0.0.1:1/0: no Redis answers"):
        asyncio.run(check_redis("redis://127.0.0.1:1/0"))


def test_a_redis_that_answers_passes(redis_url: str) -> None:
    asyncio.run(check_redis(redis_url))


@pytest.mark.parametrize(
    ("redis", "said"),
    [
        ("redis://127.0.0.1:1/0", "no Redis answers there"),
        ("redis://127.0.0.1:6379/3", "REDIS_URL selects database '3'"),
    ],
)
def test_a_bad_redis_url_stops_the_emulator_before_ready(redis: str, said: str) -> None:
    done = run_python(
        "-m", "local", "aws", "--port", "0", "--redis-url", redis, env=child_env(), timeout=90
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.splitlines() == [done.stderr.strip()], "one line"
    assert done.stderr.startswith("python -m local aws: ")
    assert said in done.stderr
    assert "HttpUrl" not in done.stdout, "no URLs: it never said it was ready"


def test_host_and_port_do_not_move_the_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOST", "192.0.2.1")
    monkeypatch.setenv("PORT", "1234")
    args = argparse.Namespace(port=None, redis_url=None, text_logs=False, stage="dev")
    assert aws_options(args).base_port == 9000
    assert aws_options(argparse.Namespace(**{**vars(args), "port": 4000})).base_port == 4000


def test_the_docs_say_how_the_emulator_chooses_its_ports() -> None:
    from tests.support.processes import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    page = (ROOT / "docs" / "emulator.md").read_text(encoding="utf-8")
    assert "`HOST` and `PORT` do not" in readme
    assert "Its ports come from `--port BASE` alone (9000 by default" in page
