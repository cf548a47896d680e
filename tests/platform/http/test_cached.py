"""`@cached` (`GET /cached` of tests/platform/http/conftest.py and routes of its own): in
memory and on a real Redis, locally and on Lambda."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fastapi import Depends, FastAPI, Response
from fastapi.testclient import TestClient

from handler.platform.http.cached import cached
from handler.platform.http.deps import CacheDep
from handler.platform.http.rate_limit import rate_limit
from handler.platform.lambda_http.adapter import LambdaHttpAdapter
from tests.support.events import LambdaContext, http_event
from tests.support.platform_app import platform_app, test_settings
from tests.support.redis_settings import memory_or_redis_settings
from tests.support.servers import free_port

# Every test here runs on both backends.
settings = pytest.fixture(params=["memory", "redis"])(memory_or_redis_settings)


def test_second_request_is_a_hit_with_the_same_body(client: TestClient) -> None:
    first = client.get("/cached")
    second = client.get("/cached")
    assert first.status_code == second.status_code == 200
    assert (first.headers["x-cache"], second.headers["x-cache"]) == ("MISS", "HIT")
    assert second.json() == first.json()
    assert set(first.json()) == {"computed_at", "value"}


def test_query_is_part_of_the_key_whatever_its_order(client: TestClient) -> None:
    ab = client.get("/cached?a=1&b=2").json()
    assert client.get("/cached?b=2&a=1").json() == ab
    assert client.get("/cached?a=1&b=3").json() != ab
    assert client.get("/cached").json() != ab


def test_no_cache_request_recomputes_and_refreshes_the_entry(client: TestClient) -> None:
    old = client.get("/cached").json()
    fresh = client.get("/cached", headers={"Cache-Control": "no-cache"})
    assert fresh.headers["x-cache"] == "MISS"
    assert fresh.json() != old
    assert client.get("/cached").json() == fresh.json()


def test_no_store_request_neither_reads_nor_writes(client: TestClient) -> None:
    cached_body = client.get("/cached").json()
    bypass = client.get("/cached", headers={"Cache-Control": "no-store"})
    assert bypass.headers["x-cache"] == "BYPASS"
    assert bypass.json() != cached_body
    assert client.get("/cached").json() == cached_body


def test_answers_that_set_a_cookie_are_never_cached(app: FastAPI) -> None:
    calls: list[int] = []

    @app.get("/with-cookie")
    @cached(ttl=60)
    async def with_cookie(response: Response) -> dict[str, int]:
        calls.append(1)
        response.set_cookie("session", "secret")
        return {"call": len(calls)}

    @app.get("/cookie-response")
    @cached(ttl=60)
    async def cookie_response() -> Response:
        calls.append(1)
        answer = Response(f"call {len(calls)}")
        answer.set_cookie("session", "secret")
        return answer

    with TestClient(app) as client:
        for path in ("/with-cookie", "/cookie-response"):
            first, second = client.get(path), client.get(path)
            assert first.content != second.content
            assert second.headers["x-cache"] == "BYPASS"
            assert "session=secret" in second.headers["set-cookie"]


def test_response_objects_and_their_headers_are_replayed(app: FastAPI) -> None:
    @app.get("/plain")
    @cached(ttl=60)
    def plain() -> Response:  # a sync endpoint runs in the threadpool, as FastAPI does
        return Response(b"\x00binary", media_type="application/octet-stream", headers={"X-A": "1"})

    with TestClient(app) as client:
        first, second = client.get("/plain"), client.get("/plain")
    assert second.headers["x-cache"] == "HIT"
    assert second.content == first.content == b"\x00binary"
    assert second.headers["content-type"] == "application/octet-stream"
    assert second.headers["x-a"] == "1"


def test_a_hit_replays_the_endpoints_headers_not_its_dependencies(app: FastAPI) -> None:
    """Dependencies write to the same sub-response as the endpoint and run again on a hit:
    only what the endpoint itself added belongs to the cached answer."""
    seen: list[int] = []

    async def stamp(response: Response) -> None:
        seen.append(1)
        response.headers["X-Dependency"] = str(len(seen))

    @app.get("/both", dependencies=[rate_limit("5/minute"), Depends(stamp)])
    @cached(ttl=60)
    async def both(response: Response) -> dict[str, int]:
        response.headers["X-Endpoint"] = "own"
        response.headers["X-RateLimit-Remaining"] = "99"  # never replayed, even from here
        return {"x": 1}

    with TestClient(app) as client:
        answers = [client.get("/both") for _ in range(3)]
    assert [a.headers["x-cache"] for a in answers] == ["MISS", "HIT", "HIT"]
    remaining = [a.headers.get_list("x-ratelimit-remaining") for a in answers]
    assert remaining[1:] == [["3"], ["2"]], "the limiter's fresh count, once"
    assert [a.headers.get_list("x-dependency") for a in answers] == [["1"], ["2"], ["3"]]
    assert [a.headers.get_list("x-endpoint") for a in answers] == [["own"]] * 3


@pytest.mark.parametrize("ttl", [0, -1, 24 * 3600, timedelta(days=2)])
def test_cached_rejects_a_ttl_not_positive_or_longer_than_a_generation(ttl: object) -> None:
    # An entry must not outlive the generation counter it was stored under.
    with pytest.raises(ValueError, match="ttl must be positive and under 86400 s"):
        cached(ttl=ttl)  # type: ignore[arg-type]


def test_hit_through_the_lambda_adapter(
    lambda_handler: LambdaHttpAdapter, lambda_context: LambdaContext
) -> None:
    first = lambda_handler(http_event("http_api_v2", path="/cached"), lambda_context)
    second = lambda_handler(http_event("http_api_v2", path="/cached"), lambda_context)
    assert first["statusCode"] == second["statusCode"] == 200
    assert (first["headers"]["x-cache"], second["headers"]["x-cache"]) == ("MISS", "HIT")
    assert json.loads(second["body"]) == json.loads(first["body"])


def test_a_bump_turns_that_generation_into_misses_and_leaves_others(app: FastAPI) -> None:
    computed: list[int] = []

    @app.get("/items/{item_id}")
    @cached(ttl=60, generations=lambda arguments: [f"items:{arguments['item_id']}"])
    async def item(item_id: int) -> dict[str, int]:
        computed.append(item_id)
        return {"item": item_id, "computed": len(computed)}

    @app.post("/items/{item_id}/touch")
    async def touch(item_id: int, cache: CacheDep) -> None:
        await cache.bump(f"items:{item_id}")

    with TestClient(app) as client:
        first = [
            client.get(path).headers["x-cache"] for path in ("/items/1", "/items/1", "/items/2")
        ]
        client.post("/items/1/touch")
        # /items/01 is another URL, but the same validated item: the same generation.
        after = [client.get(path) for path in ("/items/1", "/items/2", "/items/01")]
    assert first == ["MISS", "HIT", "MISS"]
    assert [answer.headers["x-cache"] for answer in after] == ["MISS", "HIT", "MISS"]
    assert after[0].json() == {"item": 1, "computed": 3}


def test_unknown_generations_compute_fresh_and_store_nothing() -> None:
    app = platform_app(test_settings(redis_url=f"redis://127.0.0.1:{free_port()}/0"))

    @app.get("/item")
    @cached(ttl=60, generations=lambda _: ["items"])
    async def item() -> dict[str, str]:
        return {"item": "fresh"}

    with TestClient(app) as client:
        answers = [client.get("/item") for _ in range(2)]
    assert [answer.headers["x-cache"] for answer in answers] == ["BYPASS", "BYPASS"]
    assert answers[1].json() == {"item": "fresh"}
