"""The cache and the rate limiter build their backends on first use: a cold start
imports neither limits nor redis, and a backend that cannot be built counts as
Redis being down for that request (logged, breaker), never as a 500."""

from __future__ import annotations

import json
import textwrap
from typing import Any

import pytest
from fastapi.testclient import TestClient

from handler.platform.lambda_http.adapter import LambdaHttpAdapter
from handler.platform.settings import PlatformSettings
from tests.support.events import LambdaContext, http_event
from tests.support.platform_app import cache_and_limits_app
from tests.support.processes import child_env, printed, run_python
from tests.support.redis_settings import memory_or_redis_settings

BAD_URL = "redis://127.0.0.1:notaport/0"

settings = pytest.fixture(params=["memory", "redis"])(memory_or_redis_settings)

COLD_START = textwrap.dedent(
    """
    import json, sys

    VENDORS = ("limits", "redis")

    def loaded():
        return sorted(name for name in VENDORS if name in sys.modules)

    from handler.platform.lambda_http.adapter import LambdaHttpAdapter
    from handler.platform.settings import PlatformSettings
    from tests.support.events import LambdaContext, http_event
    from tests.support.platform_app import cache_and_limits_app

    seen = {"import": loaded()}
    app = cache_and_limits_app(PlatformSettings(**json.loads(sys.argv[1])))
    adapter = LambdaHttpAdapter(app)
    seen["lifespan"] = loaded()
    answers = []
    for path in ("/cached", "/cached", "/limited"):
        answer = adapter(http_event("http_api_v2", path=path), LambdaContext())
        answers.append([answer["statusCode"], answer.get("headers", {})])
    seen["requests"] = loaded()
    adapter.close()
    print("RESULT " + json.dumps({"seen": seen, "answers": answers}))
    """
)


def cold_start(settings: PlatformSettings) -> dict[str, Any]:
    """A fresh Lambda environment: import, lifespan, then three requests."""
    fields = {
        "environment": "test",
        "redis_url": settings.redis_url,
        "redis_key_prefix": settings.redis_key_prefix,
        "redis_timeout": settings.redis_timeout,
    }
    done = run_python("-c", COLD_START, json.dumps(fields), env=child_env(drop=["REDIS_URL"]))
    result: dict[str, Any] = printed(done, "RESULT")
    return result


def test_cold_start_imports_no_cache_or_limit_library_until_a_request_needs_one(
    settings: PlatformSettings,
) -> None:
    result = cold_start(settings)
    assert result["seen"]["import"] == [], "importing the platform and building the app"
    assert result["seen"]["lifespan"] == [], "entering the lifespan"
    assert "limits" in result["seen"]["requests"]
    assert ("redis" in result["seen"]["requests"]) == bool(settings.redis_url)
    (miss, miss_headers), (hit, hit_headers), (limited, limit_headers) = result["answers"]
    assert (miss, hit, limited) == (200, 200, 200)
    assert (miss_headers["x-cache"], hit_headers["x-cache"]) == ("MISS", "HIT")
    assert limit_headers["x-ratelimit-remaining"] == "4"


def test_first_requests_build_the_backends_on_the_local_path(settings: PlatformSettings) -> None:
    with TestClient(cache_and_limits_app(settings)) as client:
        first = [client.get(path) for path in ("/cached", "/limited", "/cached", "/limited")]
    assert [r.status_code for r in first] == [200] * 4
    assert [first[0].headers["x-cache"], first[2].headers["x-cache"]] == ["MISS", "HIT"]
    remaining = [
        first[1].headers["x-ratelimit-remaining"],
        first[3].headers["x-ratelimit-remaining"],
    ]
    assert remaining == ["4", "3"]


def test_a_redis_url_that_cannot_be_used_degrades_like_redis_down(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = PlatformSettings(environment="test", redis_url=BAD_URL)
    with TestClient(cache_and_limits_app(settings)) as client:  # startup does not need Redis
        cached = [client.get("/cached") for _ in range(2)]
        limited = client.get("/limited")
    assert [r.status_code for r in cached] == [200, 200]
    assert [r.headers["x-cache"] for r in cached] == ["MISS", "MISS"], "nothing stored"
    assert limited.status_code == 200, "fails open by default"
    assert limited.headers["x-ratelimit-limit"] == "5"
    assert "x-ratelimit-remaining" not in limited.headers
    logged = [r.getMessage() for r in caplog.records if "redis unavailable" in r.getMessage()]
    assert len(logged) == 1, "logged once; breaker open"
    assert "redis unavailable (ValueError" in logged[0]


def test_a_redis_url_that_cannot_be_used_fails_closed_on_lambda_when_configured() -> None:
    settings = PlatformSettings(environment="test", redis_url=BAD_URL, rate_limit_fail_open=False)
    handler = LambdaHttpAdapter(cache_and_limits_app(settings))
    try:
        cached = handler(http_event("http_api_v2", path="/cached"), LambdaContext())
        limited = handler(http_event("http_api_v2", path="/limited"), LambdaContext())
    finally:
        handler.close()
    assert cached["statusCode"] == 200, "the cache never fails a request"
    assert limited["statusCode"] == 503
    assert json.loads(limited["body"])["error"] == "Rate limiter unavailable"
    assert int(limited["headers"]["retry-after"]) >= 1
