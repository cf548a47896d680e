"""The lifespan's state, typed: what the composition root built for this execution
environment, under one key of Starlette's lifespan state.

    @asynccontextmanager
    async def lifespan(app):
        async with open_app_state(settings) as state:   # a PlatformState (or a subclass)
            yield {STATE_KEY: state}

    cache = state_of(request, PlatformState).cache         # typed, checked once

Dependencies (`handler.platform.http.deps`) read fields of it; an app adds its own
fields by subclassing (`handler.demo_state.AppState` adds the users store).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from starlette.requests import HTTPConnection

if TYPE_CHECKING:
    from handler.platform.auth.verifier import TokenVerifier
    from handler.platform.cache.store import ResponseCache
    from handler.platform.metrics.recorder import Metrics
    from handler.platform.pagination.cursor import CursorCodec
    from handler.platform.ratelimit.limiter import RateLimiter
    from handler.platform.realtime.hub import Hub
    from handler.platform.redis.first_use import OnFirstUse
    from handler.platform.redis.pool import RedisPool
    from handler.platform.tasks.queue import TaskQueue

STATE_KEY = "app"
S = TypeVar("S", bound="StartedState")


@dataclass(frozen=True, kw_only=True)
class StartedState:
    """What every app's lifespan holds: when it started (`GET /health` shows it)."""

    started_at: float


@dataclass(frozen=True, kw_only=True)
class PlatformState(StartedState):
    """The platform's backends. `token_verifier` builds the verifier on its first call
    (PyJWT's imports wait for the first token); `redis_pool` is None without Redis."""

    task_queue: TaskQueue
    realtime: Hub  # this server's sockets
    cache: ResponseCache
    rate_limiter: RateLimiter
    cursors: CursorCodec
    token_verifier: Callable[[], TokenVerifier]
    metrics: Metrics
    redis_pool: OnFirstUse[RedisPool] | None = None


def state_of(connection: HTTPConnection, kind: type[S]) -> S:
    """The lifespan's state, checked to be a `kind`; one clear error when the lifespan
    never ran (a TestClient used without `with`, a bare ASGI call)."""
    state: Any = getattr(connection.state, STATE_KEY, None)
    if not isinstance(state, kind):
        raise RuntimeError(
            f"no {kind.__name__} in the request state: the app's lifespan did not run"
        )
    return state
