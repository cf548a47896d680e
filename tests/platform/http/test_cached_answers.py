"""What a hit sends: the bytes and headers of the miss, without running the endpoint, the
response model or the encoder; and when a hit may skip the route's dependencies."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, FastAPI, Response
from fastapi.testclient import TestClient

from handler.platform.http.cached import cached
from handler.platform.http.caching_route import CachingRoute
from handler.platform.http.deps import CacheDep
from handler.platform.http.hit_skip import hit_may_skip
from handler.platform.http.rate_limit import rate_limit
from tests.support.redis_settings import memory_or_redis_settings

settings = pytest.fixture(params=["memory", "redis"])(memory_or_redis_settings)
PER_REQUEST = {"x-cache", "x-request-id", "x-process-time"}


def _replayed(answer_headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in answer_headers.items() if k not in PER_REQUEST}


def test_a_hit_is_the_miss_byte_for_byte_with_the_same_headers(client: TestClient) -> None:
    miss, hit = client.get("/things"), client.get("/things")
    assert (miss.headers["x-cache"], hit.headers["x-cache"]) == ("MISS", "HIT")
    assert hit.content == miss.content
    assert _replayed(dict(hit.headers)) == _replayed(dict(miss.headers))


def test_a_hit_runs_neither_the_endpoint_nor_the_response_model(app: FastAPI) -> None:
    serialized: list[int] = []

    @app.get("/counted")
    @cached(ttl=60)
    async def counted(response: Response) -> dict[str, int]:
        response.headers["X-Own"] = "kept"
        serialized.append(1)
        return {"n": len(serialized)}

    with TestClient(app) as client:
        answers = [client.get("/counted") for _ in range(3)]
    assert serialized == [1]
    assert [a.json() for a in answers] == [{"n": 1}] * 3
    assert [a.headers["x-own"] for a in answers] == ["kept"] * 3


def test_a_bump_makes_the_next_answer_a_miss(app: FastAPI) -> None:
    computed: list[int] = []

    @app.get("/listing")
    @cached(ttl=60, generations=["things"])
    async def listing() -> dict[str, int]:
        computed.append(1)
        return {"computed": len(computed)}

    @app.post("/things")
    async def write(cache: CacheDep) -> None:
        await cache.bump("things")

    with TestClient(app) as client:
        before = [client.get("/listing").headers["x-cache"] for _ in range(2)]
        client.post("/things")
        after = [client.get("/listing") for _ in range(2)]
    assert before == ["MISS", "HIT"]
    assert [a.headers["x-cache"] for a in after] == ["MISS", "HIT"]
    assert after[1].json() == {"computed": 2}


SOLVED: dict[str, int] = {}


@hit_may_skip
async def marked() -> int:
    SOLVED["marked"] = SOLVED.get("marked", 0) + 1
    return 1


async def unmarked() -> int:
    SOLVED["unmarked"] = SOLVED.get("unmarked", 0) + 1
    return 1


def test_a_hit_skips_dependencies_only_when_all_are_marked(app: FastAPI) -> None:
    SOLVED.clear()

    @app.get("/skips")
    @cached(ttl=60)
    async def skips(value: Annotated[int, Depends(marked)]) -> dict[str, int]:
        return {"value": value}

    @app.get("/solves")
    @cached(ttl=60)
    async def solves(
        value: Annotated[int, Depends(marked)], other: Annotated[int, Depends(unmarked)]
    ) -> dict[str, int]:
        return {"value": value + other}

    with TestClient(app) as client:
        for path in ("/skips", "/solves"):
            assert [client.get(path).headers["x-cache"] for _ in range(3)] == ["MISS"] + ["HIT"] * 2
    # /skips: solved on its miss only; /solves: on every request.
    assert SOLVED == {"marked": 1 + 3, "unmarked": 3}


def test_dependencies_of_an_including_router_run_on_every_hit(app: FastAPI) -> None:
    counted: list[int] = []

    async def guard() -> None:
        counted.append(1)

    router = APIRouter(route_class=CachingRoute)

    @router.get("/guarded")
    @cached(ttl=60)
    async def guarded() -> dict[str, str]:
        return {"ok": "yes"}

    app.include_router(router, dependencies=[Depends(guard)])
    with TestClient(app) as client:
        outcomes = [client.get("/guarded").headers["x-cache"] for _ in range(3)]
    assert outcomes == ["MISS", "HIT", "HIT"]
    assert len(counted) == 3


def test_a_rate_limited_hit_is_still_counted(app: FastAPI) -> None:
    @app.get("/limited-cached", dependencies=[rate_limit("2/minute")])
    @cached(ttl=60)
    async def limited_cached() -> dict[str, str]:
        return {"ok": "yes"}

    with TestClient(app) as client:
        statuses = [client.get("/limited-cached").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_a_repeated_parameter_keeps_the_order_that_decides_its_value(app: FastAPI) -> None:
    @app.get("/last")
    @cached(ttl=60)
    async def last(n: int) -> dict[str, int]:
        return {"n": n}

    with TestClient(app) as client:
        assert client.get("/last?n=x&n=5").json() == {"n": 5}
        # The same pairs in another order: another value, and no hit of the first.
        assert client.get("/last?n=5&n=x").status_code == 422


def test_without_the_route_class_cached_answers_fresh_and_says_why(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from handler.app import create_app
    from handler.settings import Settings

    app = create_app(Settings(environment="test", redis_url=""))
    router = APIRouter()  # no route_class

    @router.get("/plain-router")
    @cached(ttl=60)
    async def plain_router() -> dict[str, str]:
        return {"ok": "yes"}

    app.include_router(router)
    with TestClient(app) as client:
        answers = [client.get("/plain-router") for _ in range(2)]
    assert all(a.status_code == 200 and "x-cache" not in a.headers for a in answers)
    assert "route_class=CachingRoute" in capsys.readouterr().out
