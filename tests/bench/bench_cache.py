"""Cache and rate limits on the Lambda path: `/cached` hit and miss vs the same route
uncached, a users GET (a cache key with a generation: one more lookup) hit and miss, and
the per-request cost of the limiter vs no limiter; memory and Redis on loopback
(REDIS_URL, default redis://127.0.0.1:6379/15)."""

from __future__ import annotations

import gc
import itertools
import logging
import os
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

import redis
from fastapi import FastAPI

from handler.api.caching import Computed
from handler.app import create_app
from handler.platform.lambda_http.adapter import LambdaHttpAdapter
from handler.platform.runtime.init_phase import init_phase
from handler.settings import Settings
from tests.bench.common import ratio, show
from tests.support.events import LambdaContext, http_event

NUMBER = 300
REPEATS = 7
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"


def build(settings: Settings) -> LambdaHttpAdapter:
    """The app plus twins of the demo routes without cache and limiter: the baseline.
    Built inside the init phase, as handler.lambda_http builds it."""
    with init_phase():
        return LambdaHttpAdapter(_with_baselines(create_app(settings)))


def _with_baselines(app: FastAPI) -> FastAPI:
    @app.get("/bench/uncached")
    async def uncached() -> Computed:
        return Computed(computed_at=time.time(), value=uuid.uuid4().hex)

    @app.get("/bench/unlimited")
    async def unlimited() -> dict[str, str]:
        return {"detail": "within the limit"}

    return app


def events(path: str, *, vary: str = "") -> Callable[[], dict[str, Any]]:
    """Events made before timing starts; `vary` makes each one distinct (a new cache key
    or a new client address), so a miss is always a miss and no key fills its window."""
    made = []
    for n in range(NUMBER * REPEATS + 1):
        event = http_event(
            "http_api_v2", path=path, query=[("n", str(n))] if vary == "query" else None
        )
        if vary == "client":
            event["requestContext"]["http"]["sourceIp"] = (
                f"10.{n // 65536}.{n // 256 % 256}.{n % 256}"
            )
        made.append(event)
    pending = itertools.cycle(made)
    return lambda: next(pending)


def interleaved(
    adapter: LambdaHttpAdapter,
    variants: dict[str, Callable[[], dict[str, Any]]],
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, float]:
    """Median seconds per request of each variant; the variants take turns in every
    repeat, in an order reversed every other repeat, so load from other processes on this
    shared machine, and the caches one variant leaves to the next, fall on all alike."""
    context = LambdaContext()
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for next_event in variants.values():  # warm up: first-call imports and caches
        adapter(next_event(), context)
    order = list(variants.items())
    for repeat in range(REPEATS):
        for name, next_event in order if repeat % 2 == 0 else order[::-1]:
            start = clock()
            for _ in range(NUMBER):
                answer = adapter(next_event(), context)
                assert answer["statusCode"] == 200, answer
            samples[name].append((clock() - start) / NUMBER)
    return {name: statistics.median(values) for name, values in samples.items()}


def measure(label: str, settings: Settings) -> None:
    adapter = build(settings)
    # The users listing (on a miss: lookup, store page, response model, encoder, set), in
    # this process's CPU.
    listing = {
        "users_hit": events("/api/v1/users"),
        "users_miss": events("/api/v1/users", vary="query"),
    }
    routes = {
        "base": events("/bench/uncached"),
        "hit": events("/cached"),
        "miss": events("/cached", vary="query"),
        "unlimited": events("/bench/unlimited"),
        "limited": events("/limited", vary="client"),
        "user_hit": events("/api/v2/users/1"),
        "user_miss": events("/api/v2/users/1", vary="query"),
    }
    # The events made in advance (tens of thousands of objects) are the bench's, not the
    # app's: frozen with the app's init (`build`), before any request, so that the
    # collector's passes over them do not land on the requests measured. What requests
    # leave behind (cache entries, the limiter's windows) stays young, as on Lambda.
    gc.collect()
    gc.freeze()
    try:
        # The listing first, before the other variants fill the limiter's storage,
        # whose expiry task would otherwise run (and count) during it.
        cpu = interleaved(adapter, listing, clock=time.process_time)
        t = interleaved(adapter, routes)
    finally:
        adapter.close()
        gc.unfreeze()
    show(f"{label}: GET /api/v1/users hit, CPU", cpu["users_hit"])
    show(f"{label}: GET /api/v1/users miss, CPU", cpu["users_miss"])
    ratio(
        f"{label}: GET /api/v1/users hit / miss, CPU",
        cpu["users_hit"] / cpu["users_miss"],
        "target <= 0.5",
    )
    base, hit, miss, unlimited, limited = (
        t["base"],
        t["hit"],
        t["miss"],
        t["unlimited"],
        t["limited"],
    )
    show(f"{label}: same route uncached", base)
    show(f"{label}: /cached hit", hit)
    show(f"{label}: /cached miss (get + compute + set)", miss)
    ratio(f"{label}: miss / hit", miss / hit)
    ratio(f"{label}: hit / uncached (cost of a lookup)", hit / base)
    show(f"{label}: route without limiter", unlimited)
    show(f"{label}: /limited (5/minute)", limited)
    show(f"{label}: added by the limiter", limited - unlimited)
    ratio(f"{label}: limited / unlimited", limited / unlimited)
    show(f"{label}: GET /api/v2/users/1 hit (generation + entry)", t["user_hit"])
    show(f"{label}: GET /api/v2/users/1 miss (memory store)", t["user_miss"])
    show(f"{label}: user hit - /cached hit (the generation lookup)", t["user_hit"] - hit)


def main() -> None:
    logging.disable(logging.WARNING)  # measure the work, not log lines
    try:
        # Redis first: the memory limiter's storage (limits) sweeps its expired keys in a
        # task of the environment's loop, a thread hop per key, and that task would still
        # run, and count, during anything measured after it.
        _measure_on_redis()
        measure("memory", Settings(environment="test", redis_url="", access_log="off"))
    finally:
        logging.disable(logging.NOTSET)


def _measure_on_redis() -> None:
    prefix = f"bench-{uuid.uuid4().hex[:8]}:"
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        print(f"  Redis figures skipped: no Redis at {REDIS_URL} ({exc})")
        return
    try:
        measure(
            "redis",
            Settings(
                environment="test", redis_url=REDIS_URL, redis_key_prefix=prefix, access_log="off"
            ),
        )
    finally:
        with redis.Redis.from_url(REDIS_URL) as client:
            keys = list(client.scan_iter(match=f"{prefix}*"))
            for start in range(0, len(keys), 1000):
                client.delete(*keys[start : start + 1000])


if __name__ == "__main__":
    main()
