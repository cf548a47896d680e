"""Lifespan on Lambda: entered once per execution environment, left on SIGTERM."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from mangum import Mangum
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from handler.platform.lambda_http.adapter import LambdaHttpAdapter
from handler.platform.lambda_http.lifespan import LifespanError
from tests.support.events import LambdaContext, http_event
from tests.support.processes import run_python


class LifespanCounter:
    """Counts the lifespan messages an app receives."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.seen: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def counting_receive() -> Message:
            message = await receive()
            self.seen.append(message["type"])
            return message

        await self.app(scope, counting_receive if scope["type"] == "lifespan" else receive, send)


def test_lifespan_runs_once_over_many_invocations(
    app: FastAPI, lambda_context: LambdaContext
) -> None:
    counter = LifespanCounter(app)
    adapter = LambdaHttpAdapter(counter)
    started = set()
    for _ in range(25):
        response = adapter(http_event("http_api_v2", path="/health"), lambda_context)
        started.add(json.loads(response["body"])["started_at"])
    assert counter.seen == ["lifespan.startup"]
    assert len(started) == 1, "every invocation sees the one lifespan state"
    adapter.close()
    assert counter.seen == ["lifespan.startup", "lifespan.shutdown"]


def test_stock_mangum_reruns_the_lifespan_every_invocation(
    app: FastAPI, lambda_context: LambdaContext
) -> None:
    # The problem the adapter exists for, kept as a test so a Mangum fix would show up.
    counter = LifespanCounter(app)
    stock = Mangum(counter)
    for _ in range(3):
        stock(http_event("http_api_v2", path="/items"), lambda_context)
    assert counter.seen.count("lifespan.startup") == 3


def test_failing_startup_fails_the_init_loudly() -> None:
    @asynccontextmanager
    async def broken(app: FastAPI) -> AsyncIterator[None]:
        raise ConnectionError("cache unreachable")
        yield

    with pytest.raises(LifespanError, match="cache unreachable"):
        LambdaHttpAdapter(FastAPI(lifespan=broken))


def _run_lambda_process(script: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        "PATH": os.environ["PATH"],
        "AWS_LAMBDA_FUNCTION_NAME": "http",
        "AWS_DEFAULT_REGION": "eu-west-1",
        **env,
    }
    return run_python("-c", script, env=environment)


def _logged(stdout: str) -> list[dict[str, Any]]:
    """The JSON log lines; on Lambda stdout carries the EMF metric lines too."""
    return [json.loads(line) for line in stdout.splitlines() if not line.startswith('{"_aws"')]


INVOKE = textwrap.dedent("""
    import json, os, signal, time
    from tests.support.events import LambdaContext, http_event
    import handler.lambda_http as entry
    for i in range(3):
        ctx = LambdaContext(aws_request_id=f"req-{i}")
        event = http_event("http_api_v2", path="/api/v1/users")
        assert entry.handler(event, ctx)["statusCode"] == 200
""")


def test_sigterm_runs_the_lifespan_shutdown() -> None:
    script = INVOKE + "os.kill(os.getpid(), signal.SIGTERM)\ntime.sleep(10)\n"
    done = _run_lambda_process(script)
    assert done.returncode == 0, done.stderr
    messages = [line["message"] for line in _logged(done.stdout)]
    assert sum(m.startswith("startup (development): cache=memory") for m in messages) == 1
    assert messages[-1] == "shutdown"


def test_logs_are_json_with_the_lambda_request_id() -> None:
    done = _run_lambda_process(INVOKE, ACCESS_LOG="log")
    assert done.returncode == 0, done.stderr
    lines = _logged(done.stdout)
    served = [line for line in lines if line["message"].startswith("GET /api/v1/users 200 ")]
    assert [line["function_request_id"] for line in served] == ["req-0", "req-1", "req-2"]
    assert all(line["service"] == "fastapi-serverless" for line in lines)


def test_on_lambda_the_access_line_is_the_http_apis_by_default() -> None:
    """ACCESS_LOG=auto: API Gateway's access log has every request; the function adds none."""
    done = _run_lambda_process(INVOKE)
    assert done.returncode == 0, done.stderr
    messages = [line["message"] for line in _logged(done.stdout)]
    assert messages  # the startup line
    assert not [m for m in messages if "/api/v1/users" in m]


def test_sigterm_handler_is_installed_by_the_entry_module() -> None:
    done = _run_lambda_process(
        "import signal, handler.lambda_http\n"
        "print(signal.getsignal(signal.SIGTERM).__qualname__)\n",
        LOG_LEVEL="ERROR",
    )
    assert done.stdout.strip() == "LambdaHttpAdapter._on_sigterm"
