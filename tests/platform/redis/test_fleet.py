"""Two separate processes on one Redis behave as one fleet: ONE 5/minute limit and
one cache. First two `python -m local` uvicorn servers, then two Python processes each
importing `handler.lambda_http` and calling its handler, as two Lambda environments."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest

from tests.support.events import http_event
from tests.support.processes import PYTHON, child_env, printed, run_python, serving
from tests.support.redis_settings import REDIS_TEST_TIMEOUT
from tests.support.servers import free_port


def fleet_env(redis_url: str, prefix: str) -> dict[str, str]:
    return child_env(
        drop=("REDIS_", "AWS_"),
        ENVIRONMENT="test",
        REDIS_URL=redis_url,
        REDIS_KEY_PREFIX=prefix,
        REDIS_TIMEOUT=str(REDIS_TEST_TIMEOUT),
    )


@pytest.fixture
def two_servers(redis_url: str, redis_prefix: str) -> Iterator[list[str]]:
    env = fleet_env(redis_url, redis_prefix)
    with ExitStack() as stack:
        servers = []
        for port in (free_port(), free_port()):
            command = [PYTHON, "-m", "local", "--port", str(port)]
            servers.append(stack.enter_context(serving(command, port=port, env=env)))
        yield [server.url for server in servers]


def test_two_uvicorn_servers_share_one_limit_and_one_cache(two_servers: list[str]) -> None:
    a, b = two_servers
    computed = httpx.get(f"{a}/cached")
    seen_by_b = httpx.get(f"{b}/cached")
    assert computed.headers["x-cache"] == "MISS"
    assert seen_by_b.headers["x-cache"] == "HIT"
    assert seen_by_b.json() == computed.json()

    answers = [httpx.get(f"{url}/limited") for url in (a, b, a, b, a, b, a)]
    assert [r.status_code for r in answers] == [200] * 5 + [429, 429]
    remaining = [r.headers["x-ratelimit-remaining"] for r in answers[:5]]
    assert remaining == ["4", "3", "2", "1", "0"], "one counter, not one per server"


LAMBDA_ENVIRONMENT = textwrap.dedent(
    """
    import json, sys
    from handler.lambda_http import handler
    from local.aws.lambda_.context import LambdaContext

    context = LambdaContext(aws_request_id="fleet", function_name="http")
    answers = [handler(event, context) for event in json.load(sys.stdin)]
    handler.close()
    print("ANSWERS " + json.dumps(answers))
    """
)


def run_lambda_environment(env: dict[str, str], events: list[dict[str, Any]]) -> list[Any]:
    done = run_python("-c", LAMBDA_ENVIRONMENT, env=env, stdin=json.dumps(events))
    answers: list[Any] = printed(done, "ANSWERS")
    return answers


def test_two_lambda_environments_share_one_limit_and_one_cache(
    redis_url: str, redis_prefix: str
) -> None:
    env = fleet_env(redis_url, redis_prefix)
    events = [http_event("http_api_v2", path="/cached")] + [
        http_event("http_api_v2", path="/limited") for _ in range(3)
    ]
    first = run_lambda_environment(env, events)
    second = run_lambda_environment(env, events)

    assert first[0]["headers"]["x-cache"] == "MISS"
    assert second[0]["headers"]["x-cache"] == "HIT"
    assert json.loads(second[0]["body"]) == json.loads(first[0]["body"])
    statuses = [answer["statusCode"] for answer in first[1:] + second[1:]]
    assert statuses == [200] * 5 + [429]
