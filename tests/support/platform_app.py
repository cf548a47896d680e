"""The smallest app a platform test needs, as Starlette's middleware tests build one per
test, with no demo route in it:

    app = platform_app()                    # FastAPI + the platform's error answers
    app.add_middleware(AccessLogMiddleware, mode="line")

    @app.get("/hello")
    async def hello() -> dict[str, str]: ...

Its lifespan holds a `PlatformState` built from the platform's own factories, with the
keyword arguments `settings` gives (memory backends unless `redis_url` is set): what a
user's own composition root would do, and no more. `transport()`
(`tests/support/transports.py`) runs a request through TestClient and through the Lambda
adapter on it, as on the demo app.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from handler.platform.http.app_state import STATE_KEY, PlatformState
from handler.platform.http.caching_route import CachingRoute
from handler.platform.http.errors import AppError, install_error_handlers
from handler.platform.metrics.recorder import NO_METRICS, Metrics
from handler.platform.settings import PlatformSettings


class Computed(BaseModel):
    computed_at: float
    value: str


def test_settings(**fields: Any) -> PlatformSettings:
    """`PlatformSettings` of the test environment, with `fields` on top."""
    return PlatformSettings(environment="test", **fields)


test_settings.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


def platform_app(
    settings: PlatformSettings | None = None, *, metrics: Metrics = NO_METRICS, **options: Any
) -> FastAPI:
    """A bare FastAPI app (`options` go to `FastAPI(...)`) with the platform's error
    handlers, its settings for `SettingsDep`, and a lifespan holding the platform's
    backends."""
    settings = settings or test_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        async with open_platform_state(settings, metrics=metrics) as state:
            yield {STATE_KEY: state}

    app = FastAPI(lifespan=lifespan, **options)
    # Routes declared on the app answer `@cached` hits before solving dependencies.
    app.router.route_class = CachingRoute
    app.state.settings = settings
    install_error_handlers(app)
    return app


@asynccontextmanager
async def open_platform_state(
    settings: PlatformSettings, *, metrics: Metrics = NO_METRICS
) -> AsyncIterator[PlatformState]:
    """Cache, rate limiter (on Redis with `redis_url`, sharing one pool and breaker),
    in-process tasks, this process's sockets, a cursor codec and the development issuer's
    verifier."""
    from handler.platform.auth.development import DevelopmentIssuer
    from handler.platform.auth.factory import build_verifier
    from handler.platform.cache.store import open_cache
    from handler.platform.pagination.cursor import DEVELOPMENT_KEY as CURSOR_KEY
    from handler.platform.pagination.cursor import CursorCodec
    from handler.platform.ratelimit.limiter import open_rate_limiter
    from handler.platform.realtime.drivers.local_socket import LocalSocketSender
    from handler.platform.realtime.hub import Hub
    from handler.platform.realtime.registries.memory import MemoryRegistry
    from handler.platform.redis.breaker import Breaker
    from handler.platform.redis.first_use import OnFirstUse
    from handler.platform.tasks.queue import InProcessQueue

    def open_pool() -> Any:
        # Imported here, as the composition root does: redis-py waits for the first use.
        from handler.platform.redis.pool import open_redis_pool

        return open_redis_pool(
            settings.redis_url,
            connect_timeout=settings.redis_timeout,
            max_connections=settings.redis_max_connections,
            client_name=settings.service_name,
        )

    async with AsyncExitStack() as stack:
        pool, breaker = None, None
        if settings.redis_url:
            pool = await stack.enter_async_context(OnFirstUse(open_pool))
            breaker = Breaker("redis", backoff=settings.redis_backoff)
        cache = await stack.enter_async_context(
            open_cache(
                key_prefix=settings.redis_key_prefix,
                redis_timeout=settings.redis_timeout,
                secret=settings.cache_secret.get_secret_value(),
                pool=pool,
                breaker=breaker,
                metrics=metrics,
            )
        )
        limiter = await stack.enter_async_context(
            open_rate_limiter(
                redis_url=settings.redis_url,
                key_prefix=settings.redis_key_prefix,
                redis_timeout=settings.redis_timeout,
                fail_open=settings.rate_limit_fail_open,
                pool=pool,
                breaker=breaker,
                metrics=metrics,
            )
        )
        sender = LocalSocketSender(timeout=settings.ws_send_timeout)
        stack.push_async_callback(sender.close)
        development = DevelopmentIssuer(settings.auth_development_key)
        verifier = build_verifier(issuer="", development=development)
        yield PlatformState(
            started_at=time.time(),
            task_queue=InProcessQueue(metrics=metrics),
            realtime=Hub(MemoryRegistry(), sender, concurrency=settings.ws_send_concurrency),
            cache=cache,
            rate_limiter=limiter,
            redis_pool=pool,
            cursors=CursorCodec(CURSOR_KEY),
            token_verifier=lambda: verifier,
            metrics=metrics,
        )


def bearer(subject: str, *, admin: bool = False) -> dict[str, str]:
    """`Authorization` headers with a token of the development issuer `platform_app`
    trusts (the key file of the test settings)."""
    from handler.platform.auth.development import DevelopmentIssuer

    issuer = DevelopmentIssuer(test_settings().auth_development_key)
    return {"Authorization": f"Bearer {issuer.issue(subject, admin=admin)}"}


def cache_and_limits_app(
    settings: PlatformSettings | None = None, *, metrics: Metrics = NO_METRICS
) -> FastAPI:
    """`platform_app` with the two routes a user's API would declare on the cache and the
    limiter: `GET /cached` (`@cached(ttl=60)`: the body says when it was computed) and
    `GET /limited` (`rate_limit("5/minute")`); `GET /things` is cached under the generation
    `things`, as a resource's listing is."""
    from handler.platform.http.cached import cached
    from handler.platform.http.rate_limit import rate_limit

    app = platform_app(settings, metrics=metrics)

    @app.get("/cached")
    @cached(ttl=60)
    async def cached_value() -> Computed:
        return Computed(computed_at=time.time(), value=uuid.uuid4().hex)

    @app.get("/things")
    @cached(ttl=60, generations=["things"])
    async def things() -> Computed:
        return Computed(computed_at=time.time(), value=uuid.uuid4().hex)

    @app.get("/limited", dependencies=[rate_limit("5/minute")])
    async def limited() -> dict[str, str]:
        return {"detail": "within the limit"}

    return app


CUSTOM = "platform-test"  # the `X-Custom` value of `every_answer_app`


class Teapot(AppError):
    status_code = 418


def every_answer_app() -> FastAPI:
    """`platform_app` with a route for each kind of answer: `/items` (JSON), `/health`
    (the lifespan state), `/teapot` (an `AppError`, 418), `/boom` (a crash), `/internal`
    (not in the schema), `/stream` (server-sent events), the docs; and the middleware
    that stamp every answer (`X-Request-ID`, `X-Process-Time`, `X-Custom`)."""
    from handler.platform.http.api_docs import install_api_docs
    from handler.platform.http.app_state import state_of
    from handler.platform.http.middleware import (
        CustomHeaderMiddleware,
        ProcessTimeMiddleware,
        RequestIdMiddleware,
        UnhandledErrorMiddleware,
    )

    app = platform_app(version="1.0.0", docs_url=None, redoc_url=None)

    @app.get("/health")
    async def health(request: Request) -> dict[str, float]:
        return {"started_at": state_of(request, PlatformState).started_at}

    @app.get("/items")
    async def items() -> dict[str, list[int]]:
        return {"items": [1, 2]}

    @app.get("/teapot")
    async def teapot() -> None:
        raise Teapot("teapot")

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("this message must never reach the client")

    @app.get("/internal", include_in_schema=False)
    async def internal() -> dict[str, str]:
        return {"hidden": "yes"}

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        async def events() -> AsyncIterator[str]:
            for i in range(10):
                yield f"data: {i}\n\n"
                await asyncio.sleep(0)

        return StreamingResponse(events(), media_type="text/event-stream")

    install_api_docs(app)
    app.add_middleware(UnhandledErrorMiddleware)
    app.add_middleware(CustomHeaderMiddleware, value=CUSTOM)
    app.add_middleware(ProcessTimeMiddleware)
    app.add_middleware(RequestIdMiddleware)
    return app
