"""Lambda HTTP path: our adapter vs stock Mangum vs a direct ASGI call (warm), and the
cold start to the first answer vs a bare FastAPI + Mangum hello."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import statistics
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from mangum import Mangum
from starlette.types import Message

from handler.app import create_app
from handler.platform.lambda_http.adapter import LambdaHttpAdapter
from handler.settings import Settings
from tests.bench.common import per_call_interleaved, ratio, record, show, spread
from tests.support.events import LambdaContext, http_event

ROOT = Path(__file__).resolve().parents[2]
NUMBER = 400

# A fresh process: import the entry, answer one GET /api/v1/users event (the event is
# read before the clock starts). The bare hello answers the same event at the same path.
FIRST_ANSWER = """
import json, sys, time
event = json.loads(sys.argv[1])
t = time.perf_counter()
{body}
answer = handler(event, Context())
assert answer["statusCode"] == 200, answer
print("SECONDS", time.perf_counter() - t, flush=True)
"""
OURS = "from handler.lambda_http import handler"
BARE = """
from fastapi import FastAPI
from mangum import Mangum
app = FastAPI()
@app.get("/api/v1/users")
async def hello() -> dict[str, str]:
    return {"hello": "world"}
handler = Mangum(app)
"""
# A context as Lambda passes it (tests.support.events would add its imports to ours).
CONTEXT = """
class Context:
    function_name = "bench"
    function_version = "$LATEST"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:bench"
    aws_request_id = "req-1"
    log_group_name = "/aws/lambda/bench"
    log_stream_name = "stream"
    def get_remaining_time_in_millis(self) -> int:
        return 29_000
"""


def warm_invocations() -> None:
    # As on Lambda: ACCESS_LOG=auto writes no line there (API Gateway logs each request).
    # Anonymous reads: the issuer (required in production) is never asked.
    settings = Settings(
        environment="production",
        log_level="WARNING",
        access_log="off",
        auth_issuer="https://issuer.example.invalid/pool",
    )
    event = http_event("http_api_v2", path="/api/v1/users")
    context = LambdaContext()
    logging.disable(logging.INFO)  # Mangum logs every request; measure the work, not stdout

    ours = LambdaHttpAdapter(create_app(settings))
    stock = Mangum(create_app(settings))
    app = create_app(settings)
    direct = LambdaHttpAdapter(app)  # only for its entered lifespan state and loop
    scope: dict[str, Any] = direct._mangum.infer(event, context).scope
    scope["state"] = direct._lifespan.state

    async def call_app() -> None:
        async def receive() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: Message) -> None:
            return None

        await app(dict(scope, state=dict(scope["state"])), receive, send)

    assert ours(event, context)["statusCode"] == 200

    def run_stock() -> object:
        # Stock Mangum uses "the" current loop; the adapters own theirs.
        asyncio.set_event_loop(ours.loop)
        return stock(event, context)

    times = per_call_interleaved(
        {
            "ours": lambda: ours(event, context),
            "direct": lambda: direct.loop.run_until_complete(call_app()),
            "stock": run_stock,
        },
        number=NUMBER,
    )
    t_ours, t_direct, t_stock = times["ours"], times["direct"], times["stock"]
    logging.disable(logging.NOTSET)
    show("GET /api/v1/users, ours (lifespan once)", t_ours)
    show("GET /api/v1/users, stock Mangum(app)", t_stock)
    show("GET /api/v1/users, direct ASGI call", t_direct)
    ratio("stock Mangum / ours (speed-up)", t_stock / t_ours, "target >= 1.8")
    ratio("ours / direct ASGI (overhead)", t_ours / t_direct, "target <= 1.3")
    panel = "warm invocation (µs)"
    record(panel, "lambda_http.handler", t_ours * 1e6)
    record(panel, "stock Mangum(app)", t_stock * 1e6)
    record(panel, "direct ASGI call", t_direct * 1e6)
    for adapter in (ours, direct):
        adapter.close()


# What infra sets on the HTTP function (placeholders: the first GET connects nowhere).
DEPLOYED_ENV = {
    "AWS_LAMBDA_FUNCTION_NAME": "bench",
    "ENVIRONMENT": "production",
    "SERVICE_NAME": "fastapi-serverless",
    "LOG_LEVEL": "INFO",
    "REDIS_URL": "rediss://cache.example.invalid:6379",
    "TASK_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/123456789012/tasks",
    "TASK_MAX_MESSAGE_BYTES": "1048576",
    "CHAT_WEBSOCKET_URL": "wss://abc123.execute-api.eu-west-1.amazonaws.com/prod",
    "AWS_REGION": "eu-west-1",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
}
COLD_RUNS = 11


def _init_seconds(script: str, repeats: int = 7, **extra: str) -> list[float]:
    env = {"PATH": os.environ["PATH"], "AWS_LAMBDA_FUNCTION_NAME": "bench", "LOG_LEVEL": "ERROR"}
    env.update(extra)
    samples = []
    for _ in range(repeats):
        done = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(script)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        samples.append(float(done.stdout.strip().splitlines()[-1]))
    return samples


def _first_answer(body: str, event: str) -> float:
    script = FIRST_ANSWER.format(body=textwrap.dedent(body)) + ""
    done = subprocess.run(
        [sys.executable, "-c", CONTEXT + script, event],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], **DEPLOYED_ENV},
        capture_output=True,
        text=True,
        check=True,
    )
    (line,) = [line for line in done.stdout.splitlines() if line.startswith("SECONDS ")]
    return float(line.split()[1])


def cold_start() -> None:
    """Fresh processes, ours and the bare hello taken in turn (load lands on both)."""
    event = json.dumps(http_event("http_api_v2", path="/api/v1/users"))
    bare, ours = [], []
    _first_answer(OURS, event)  # bytecode written, files in the page cache
    for _ in range(COLD_RUNS):
        bare.append(_first_answer(BARE, event))
        ours.append(_first_answer(OURS, event))
    t_bare, t_ours = statistics.median(bare), statistics.median(ours)
    show("cold start to first answer, bare FastAPI + Mangum hello", t_bare, "ms", spread(bare))
    show("cold start to first answer, lambda_http (deployed env)", t_ours, "ms", spread(ours))
    ratio("ours / bare hello", t_ours / t_bare, "target <= 1.3")
    record("cold start to first answer (ms)", "bare FastAPI + Mangum hello", t_bare * 1e3)
    record("cold start to first answer (ms)", "handler.lambda_http", t_ours * 1e3)


def main() -> None:
    warm_invocations()
    cold_start()


if __name__ == "__main__":
    main()
