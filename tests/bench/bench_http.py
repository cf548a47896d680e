"""Lambda HTTP path: our adapter vs stock Mangum vs a direct ASGI call; cold init."""

from __future__ import annotations

import asyncio
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
from tests.bench.common import per_call_interleaved, ratio, show, spread
from tests.support.events import LambdaContext, http_event

ROOT = Path(__file__).resolve().parents[2]
NUMBER = 400

OURS_INIT = """
import time; t = time.perf_counter()
import handler.lambda_http
print(time.perf_counter() - t)
"""
BARE_INIT = """
import time; t = time.perf_counter()
from fastapi import FastAPI
from mangum import Mangum
app = FastAPI()
@app.get("/")
async def hello() -> dict[str, str]:
    return {"hello": "world"}
handler = Mangum(app)
print(time.perf_counter() - t)
"""


def warm_invocations() -> None:
    settings = Settings(environment="production", log_level="WARNING")
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
    for adapter in (ours, direct):
        adapter.close()


# What infra sets on the HTTP function (values are placeholders: init connects nowhere).
DEPLOYED_ENV = {
    "ENVIRONMENT": "production",
    "REDIS_URL": "rediss://cache.example.invalid:6379",
    "TASK_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/123456789012/tasks",
    "AWS_DEFAULT_REGION": "eu-west-1",
}


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


def cold_init() -> None:
    bare, ours, deployed = [], [], []
    for _ in range(7):  # interleaved, one process each
        bare += _init_seconds(BARE_INIT, repeats=1)
        ours += _init_seconds(OURS_INIT, repeats=1)
        deployed += _init_seconds(OURS_INIT, repeats=1, **DEPLOYED_ENV)
    show("cold init, bare FastAPI + Mangum hello", statistics.median(bare), "ms", spread(bare))
    show(
        "cold init, handler.lambda_http (local adapters)",
        statistics.median(ours),
        "ms",
        spread(ours),
    )
    show(
        "cold init, lambda_http (deployed settings)",
        statistics.median(deployed),
        "ms",
        spread(deployed),
    )
    ratio(
        "ours / bare hello (local adapters)",
        statistics.median(ours) / statistics.median(bare),
        "target <= 1.5",
    )
    ratio(
        "ours / bare hello (deployed: + boto3 SQS)",
        statistics.median(deployed) / statistics.median(bare),
        "boto3 is imported at init on purpose",
    )


def main() -> None:
    warm_invocations()
    cold_init()


if __name__ == "__main__":
    main()
