"""Metrics on the local path: off by default, EMF lines with METRICS=emf, each counter
emitted where its event happens, and no request-made value ever a dimension. The app is
a small one on the platform, metered as a user's composition root would meter it."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from handler.platform.auth.callers import AdminUser, CurrentUser
from handler.platform.http.deps import TasksDep
from handler.platform.http.middleware import UnhandledErrorMiddleware
from handler.platform.http.request_metrics import RequestMetricsMiddleware
from handler.platform.metrics import NO_METRICS, count_auth_refusal, invocation_metrics
from handler.platform.metrics.emf import EmfMetrics
from handler.platform.metrics.recorder import build_metrics
from handler.platform.realtime.ports import Sender
from handler.platform.realtime.senders.counted import CountedSender
from handler.platform.realtime.types import ConnectionGone, SendFailed
from handler.platform.tasks import task
from tests.platform.metrics.emf_lines import emf_points, named
from tests.support.platform_app import bearer, cache_and_limits_app, test_settings

USER = bearer("alice")
BASE = {"service": "fastapi-serverless", "stage": "local"}
noted: list[str] = []


@task(name="test_metrics_note")
def note(text: str) -> None:
    noted.append(text)


def metered_app(**fields: Any) -> FastAPI:
    """`GET /items/{item_id}` (only item 1 exists), `POST /notes` (signed in: queues a
    task), `POST /admin` (admins only), `/cached` and `/limited`, every one counted."""
    settings = test_settings(**{"metrics": "emf", **fields})
    metrics = build_metrics(
        emf=settings.metrics_mode == "emf",
        namespace=settings.metrics_namespace,
        service=settings.service_name,
        dimensions={"stage": settings.stage},
        batched=False,
    )
    app = cache_and_limits_app(settings, metrics=metrics)

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, int]:
        if item_id != 1:
            raise HTTPException(404, "no such item")
        return {"item": item_id}

    @app.post("/notes")
    async def notes(text: str, caller: CurrentUser, tasks: TasksDep) -> dict[str, str]:
        return {"task_id": tasks.add_task(note, text)}

    @app.post("/admin")
    async def admin(caller: AdminUser) -> dict[str, str]:
        return {"ok": "yes"}

    app.add_middleware(UnhandledErrorMiddleware)
    if metrics.enabled:
        # Outside the 500 answer, so a crash counts as the 5xx the client got.
        app.add_middleware(RequestMetricsMiddleware, metrics=metrics)
    return app


@pytest.fixture
def emf_app() -> FastAPI:
    return metered_app()


def test_metrics_are_off_locally_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert test_settings().metrics_mode == "off"
    with TestClient(metered_app(metrics="auto")) as client:
        client.get("/items/1")
        client.get("/cached")
        client.post("/notes", params={"text": "hi"}, headers=USER)
    assert emf_points(capsys.readouterr().out) == []


def test_auto_turns_them_on_on_lambda_only() -> None:
    assert test_settings(aws_lambda_function_name="fn").metrics_mode == "emf"
    assert test_settings(aws_lambda_function_name="fn", metrics="off").metrics_mode == "off"


def test_requests_count_by_route_template_and_status_class(
    emf_app: FastAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    with TestClient(emf_app) as client:
        capsys.readouterr()
        assert client.get("/items/1").status_code == 200
        assert client.get("/items/987654").status_code == 404
        assert client.get("/no/such/path/42").status_code == 404
    points = emf_points(capsys.readouterr().out)
    requests = {
        (p.dimensions["route"], p.dimensions["status_class"]) for p in named(points, "Requests")
    }
    assert ("GET /items/{item_id}", "2xx") in requests
    assert ("GET /items/{item_id}", "4xx") in requests
    assert ("unmatched", "4xx") in requests
    for point in named(points, "Requests"):
        assert (point.unit, point.namespace) == ("Count", "fastapi-serverless")
        assert {k: point.dimensions[k] for k in BASE} == BASE
    latencies = named(points, "Latency")
    assert {p.dimensions["route"] for p in latencies} >= {"GET /items/{item_id}"}
    assert all(p.unit == "Milliseconds" and 0 < p.value < 10_000 for p in latencies)
    assert all("status_class" not in p.dimensions for p in latencies)


def test_a_crash_counts_as_a_5xx(capsys: pytest.CaptureFixture[str]) -> None:
    app = metered_app()

    @app.get("/crash/{item}")
    async def crash(item: str) -> None:
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/crash/7").status_code == 500
    requests = named(emf_points(capsys.readouterr().out), "Requests")
    assert [(p.dimensions["route"], p.dimensions["status_class"]) for p in requests] == [
        ("GET /crash/{item}", "5xx")
    ]


def test_cache_hits_misses_and_bypasses(
    emf_app: FastAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    with TestClient(emf_app) as client:
        capsys.readouterr()
        client.get("/cached")
        client.get("/cached")
        client.get("/cached", headers={"Cache-Control": "no-store"})
    points = emf_points(capsys.readouterr().out)
    assert [len(named(points, n)) for n in ("CacheMisses", "CacheHits", "CacheBypasses")] == [
        1,
        1,
        1,
    ]
    assert named(points, "CacheHits")[0].dimensions == BASE


def test_rate_limit_refusals(emf_app: FastAPI, capsys: pytest.CaptureFixture[str]) -> None:
    with TestClient(emf_app) as client:
        statuses = [client.get("/limited").status_code for _ in range(7)]
    assert statuses.count(429) == 2
    refusals = named(emf_points(capsys.readouterr().out), "RateLimitRefusals")
    assert [p.value for p in refusals] == [1.0, 1.0]


def test_redis_fail_open_counts_each_request_served_without_redis(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A port nothing listens on: every Redis call is refused at once.
    app = metered_app(redis_url="redis://127.0.0.1:1/0", redis_timeout=0.2)
    with TestClient(app) as client:
        assert client.get("/limited").status_code == 200
        assert client.get("/cached").status_code == 200
    points = named(emf_points(capsys.readouterr().out), "RedisFailOpen")
    components = sorted(p.dimensions["component"] for p in points)
    assert {"ratelimit", "cache"} <= set(components)


def test_in_process_tasks_are_queued_run_and_timed(
    emf_app: FastAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    with TestClient(emf_app) as client:
        capsys.readouterr()
        client.post("/notes", params={"text": "hi"}, headers=USER)
    points = emf_points(capsys.readouterr().out)
    for name in ("TasksQueued", "TasksRun", "TaskDuration"):
        (point,) = named(points, name)
        assert point.dimensions == {**BASE, "task": "test_metrics_note"}
    assert named(points, "TaskDuration")[0].unit == "Milliseconds"


class _Scripted(Sender):
    async def send(self, connection_id: str, text: str) -> None:
        if connection_id == "gone":
            raise ConnectionGone(connection_id)
        if connection_id == "broken":
            raise SendFailed(connection_id, "HTTP 500")


def test_connection_posts_sent_gone_and_failed(capsys: pytest.CaptureFixture[str]) -> None:
    metrics = EmfMetrics(namespace="ns", service="svc", dimensions={"stage": "t"}, batched=True)
    sender = CountedSender(_Scripted(), metrics=metrics)

    async def post_all() -> None:
        await sender.send("ok", "hi")
        for target, error in (("gone", ConnectionGone), ("broken", SendFailed)):
            with pytest.raises(error):
                await sender.send(target, "hi")

    asyncio.run(post_all())
    assert capsys.readouterr().out == ""  # batched: nothing before the flush
    metrics.flush()
    points = emf_points(capsys.readouterr().out)
    names = sorted(p.name for p in points)
    assert names == ["ConnectionPostsFailed", "ConnectionPostsGone", "ConnectionPostsSent"]
    assert all(
        p.namespace == "ns" and p.dimensions == {"service": "svc", "stage": "t"} for p in points
    )


def test_a_flush_groups_values_by_dimensions(capsys: pytest.CaptureFixture[str]) -> None:
    metrics = EmfMetrics(namespace="ns", service="svc", dimensions={"stage": "t"})
    metrics.count("Requests", route="GET /a", status_class="2xx")
    metrics.count("Requests", route="GET /a", status_class="2xx")
    metrics.milliseconds("Latency", 3.5, route="GET /a")
    metrics.flush()
    lines = [line for line in capsys.readouterr().out.splitlines() if line]
    assert len(lines) == 2  # one EMF line per dimension set
    requests = named(emf_points("\n".join(lines)), "Requests")
    assert [p.value for p in requests] == [1.0, 1.0]
    metrics.flush()
    assert capsys.readouterr().out == ""  # nothing recorded, nothing written


def test_auth_refusals_hook_keeps_its_reasons_to_the_documented_set(
    capsys: pytest.CaptureFixture[str],
) -> None:
    metrics = EmfMetrics(namespace="ns", service="svc", dimensions={}, batched=False)
    count_auth_refusal(metrics, "expired")
    count_auth_refusal(metrics, "made-up reason from a header")
    reasons = [
        p.dimensions["reason"] for p in named(emf_points(capsys.readouterr().out), "AuthRefusals")
    ]
    assert reasons == ["expired", "invalid_token"]


def test_invocation_metrics_counts_the_cold_start_once_and_flushes_even_on_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    metrics = EmfMetrics(namespace="ns", service="svc", dimensions={})
    calls: list[int] = []

    def handler(event: object, context: object) -> int:
        calls.append(1)
        if event == "fail":
            raise ValueError("fail")
        return len(calls)

    wrapped = invocation_metrics(handler, metrics, function="worker")
    assert wrapped("ok", None) == 1
    with pytest.raises(ValueError, match="fail"):
        wrapped("fail", None)
    assert wrapped("ok", None) == 3
    cold = named(emf_points(capsys.readouterr().out), "ColdStart")
    assert [p.dimensions for p in cold] == [{"service": "svc", "function": "worker"}]
    assert invocation_metrics(handler, NO_METRICS, function="http") is handler


_ID = re.compile(r"[0-9]{3,}|[0-9a-f]{8,}")


@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    user_id=st.integers(min_value=1000, max_value=10**12),
    junk=st.text(alphabet="abcdef0123456789/-_.", min_size=8, max_size=40),
)
def test_no_path_value_ever_becomes_a_dimension(
    emf_app: FastAPI, capsys: pytest.CaptureFixture[str], user_id: int, junk: str
) -> None:
    with TestClient(emf_app) as client:
        capsys.readouterr()
        client.get(f"/items/{user_id}")
        client.request("BREW", f"/items/{user_id}")
        client.get(f"/p/{junk}")  # "/" + a junk starting with "/" is no relative URL
        client.get("/cached", params={"q": junk})
    points = emf_points(capsys.readouterr().out)
    assert named(points, "Requests")
    values = {value for p in points for value in p.dimensions.values()}
    assert not any(str(user_id) in value or (junk in value) for value in values)
    routes = {p.dimensions["route"] for p in points if "route" in p.dimensions}
    assert all(route == "unmatched" or not _ID.search(route) for route in routes)
    assert all(route.split(" ")[0] in {"GET", "OTHER", "unmatched"} for route in routes)


def test_auth_refusals_are_counted_by_reason(
    emf_app: FastAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    from handler.platform.auth.development import DevelopmentIssuer

    issuer = DevelopmentIssuer(test_settings().auth_development_key)
    expired = issuer.issue("a", ttl=60, now=0)
    with TestClient(emf_app) as client:
        capsys.readouterr()
        assert client.post("/notes", params={"text": "x"}).status_code == 401
        bad = {"Authorization": "Bearer not.a.token"}
        assert client.post("/notes", params={"text": "x"}, headers=bad).status_code == 401
        old = {"Authorization": f"Bearer {expired}"}
        assert client.post("/notes", params={"text": "x"}, headers=old).status_code == 401
        assert client.post("/admin", headers=USER).status_code == 403
    points = named(emf_points(capsys.readouterr().out), "AuthRefusals")
    assert sorted(point.dimensions["reason"] for point in points) == [
        "expired",
        "forbidden",
        "invalid_token",
        "missing_token",
    ]
