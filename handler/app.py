"""The application: routers, middleware, error handlers and the lifespan in one place.

`create_app` is what `python -m local` serves and `handler.lambda_http` wraps;
`create_stream_app` is the streaming function's smaller app. The adapters behind the
routes come from `handler.composition`, the composition root, entered once per execution
environment by the lifespan.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.routing import Route
from starlette.types import ASGIApp

from handler.api import (
    announcements,
    caching,
    chat_routes,
    demo,
    health,
    notifications,
    stream,
    subscription_routes,
)
from handler.api.users import routes as users
from handler.composition import (
    app_metrics,
    configure_logs,
    describe,
    development_issuer,
    open_app_state,
    require_issuer,
)
from handler.platform.http.access_log import AccessLogMiddleware
from handler.platform.http.api_docs import install_api_docs
from handler.platform.http.app_state import STATE_KEY, StartedState
from handler.platform.http.caching_route import CachingRoute
from handler.platform.http.errors import install_error_handlers
from handler.platform.http.lazy import LazyApp
from handler.platform.http.limits import RequestLimitsMiddleware
from handler.platform.http.middleware import (
    CustomHeaderMiddleware,
    ProcessTimeMiddleware,
    RequestIdMiddleware,
    UnhandledErrorMiddleware,
)
from handler.platform.http.request_metrics import RequestMetricsMiddleware
from handler.settings import Settings, get_settings

logger = logging.getLogger(__name__)

DESCRIPTION = """
One FastAPI application that runs unchanged on uvicorn and on AWS Lambda.

* **Versioned API** under `/api/v1` and `/api/v2`
* **GraphQL** at `/graphql` (strawberry; its schema is served by introspection, and
  GraphiQL runs there in development)
* **Server-sent events** at `/stream`
"""

TAGS = [
    {
        "name": "v1",
        "description": "Version 1 of the users API: stored users (memory locally, DynamoDB"
        " on AWS), cached for the fleet, with ETags for safe updates.",
    },
    {
        "name": "v2",
        "description": "Version 2: the same users, and `meta` (count, next cursor) in the listing.",
    },
    {"name": "stream", "description": "Server-sent events, streamed as they are produced."},
    {"name": "demo", "description": "Error handling demonstrations."},
    {"name": "tasks", "description": "Background tasks: in-process locally, SQS on AWS."},
    {"name": "caching", "description": "A cached route and a rate-limited route."},
    {"name": "ops", "description": "Health and lifespan state."},
    {"name": "chat", "description": "WebSocket chat at `/ws/{client_id}`."},
]


def _lifespan(settings: Settings) -> Any:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        # Entered once; on Lambda that is once per execution environment, not per
        # invocation (handler.platform.lambda_http.adapter).
        async with open_app_state(settings) as state:
            logger.info(
                "startup (%s): %s; %s", settings.environment, describe(settings), _where(settings)
            )
            yield {STATE_KEY: state}
            logger.info("shutdown")

    return lifespan


def _stream_lifespan(settings: Settings) -> Any:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        logger.info("startup (%s, stream): %s", settings.environment, _where(settings))
        yield {STATE_KEY: StartedState(started_at=time.time())}
        logger.info("shutdown")

    return lifespan


def _where(settings: Settings) -> str:
    if settings.on_lambda:
        return f"Lambda function {settings.aws_lambda_function_name}"
    return f"serving http://{settings.host}:{settings.port}"


def _graphql_app(settings: Settings) -> ASGIApp:
    from handler.api.graphql import build_graphql_app
    from handler.platform.http.graphql_limits import BoundedGraphQL, GraphQLLimits

    limits = GraphQLLimits(
        max_body_bytes=settings.graphql_max_body_bytes,
        max_tokens=settings.graphql_max_tokens,
        max_depth=settings.graphql_max_depth,
        max_aliases=settings.graphql_max_aliases,
    )
    graphql = build_graphql_app(graphiql=settings.is_development, limits=limits)
    return BoundedGraphQL(graphql, max_body_bytes=limits.max_body_bytes)


def _new_app(settings: Settings, lifespan: Any) -> FastAPI:
    """A FastAPI app with this project's metadata, error handlers and middleware."""
    configure_logs(settings)
    app = FastAPI(
        title="FastAPI Serverless",
        description=DESCRIPTION,
        version="1.0.0",
        openapi_tags=TAGS,
        lifespan=lifespan,
        # Served by install_api_docs from the app itself: FastAPI's pages load a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    # Routes added on the app itself serve `@cached` answers too (routers set their own).
    app.router.route_class = CachingRoute
    install_error_handlers(app)
    # Last added is outermost: the 500 answer still gets the timing and custom headers,
    # and every log line inside carries the request id.
    app.add_middleware(
        RequestLimitsMiddleware,
        max_body_bytes=settings.http_max_body_bytes,
        max_header_bytes=settings.http_max_header_bytes,
    )
    app.add_middleware(UnhandledErrorMiddleware)
    if settings.cors_origins:
        _allow_cross_origin(app, settings.cors_origins)
    metrics = app_metrics(settings)
    if metrics.enabled:
        # Outside the 500 answer, so a crash counts as the 5xx the client got.
        app.add_middleware(RequestMetricsMiddleware, metrics=metrics)
    app.add_middleware(CustomHeaderMiddleware, value=settings.custom_header_value)
    app.add_middleware(ProcessTimeMiddleware)
    app.add_middleware(RequestIdMiddleware)
    mode = settings.access_log_mode
    if mode != "off":
        # Outermost: the line shows the status the client got, 500s included.
        app.add_middleware(AccessLogMiddleware, mode=mode)
    return app


def _allow_cross_origin(app: FastAPI, origins: str) -> None:
    """Starlette's CORS middleware (pure ASGI): preflights answered here, before routing,
    so `OPTIONS` never reaches a route's 405. Bearer tokens, not cookies: no credentials,
    which also makes `*` safe to allow."""
    from starlette.middleware.cors import CORSMiddleware

    app.add_middleware(
        CORSMiddleware,
        allow_origins=[origin.strip() for origin in origins.split(",") if origin.strip()],
        allow_methods=["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type", "If-Match", "Cache-Control"],
        expose_headers=["ETag", "Location", "Link", "Retry-After", "X-Request-Id", "X-Cache"],
        allow_credentials=False,
        max_age=600,
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    """The whole API: what `python -m local` serves and `handler.lambda_http` wraps."""
    settings = settings or get_settings()
    require_issuer(settings)
    app = _new_app(settings, _lifespan(settings))
    app.include_router(users.v1)
    app.include_router(users.v2)
    app.include_router(stream.router)
    app.include_router(demo.router)
    app.include_router(health.router)
    app.include_router(chat_routes.router)
    app.include_router(announcements.router)
    app.include_router(notifications.router)
    app.include_router(caching.router)
    app.include_router(subscription_routes.router)
    if settings.is_development and not settings.auth_issuer:
        from handler.platform.auth.development_routes import development_router

        app.include_router(development_router(development_issuer(settings)))
    graphql = LazyApp(lambda: _graphql_app(settings))
    if settings.snap_start:
        graphql.prepare()  # into the snapshot, not into a restored environment's request
    app.router.routes.append(Route("/graphql", graphql, methods=["GET", "POST"]))
    # Routes match in order: the API's first, the docs' (rarely requested) after them.
    install_api_docs(app)
    return app


def create_stream_app(settings: Settings | None = None) -> FastAPI:
    """Only the streaming routes (and /health), for the Lambda Web Adapter function.

    That function runs outside the VPC, without Redis or the task queue: serving the
    whole API there would give it per-environment rate limits and in-process tasks that
    Lambda freezes. The routes it serves are the same code `create_app` includes.
    """
    settings = settings or get_settings()
    app = _new_app(settings, _stream_lifespan(settings))
    app.include_router(stream.router)
    app.include_router(health.router)
    install_api_docs(app)
    return app
