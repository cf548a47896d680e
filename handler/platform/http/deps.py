"""The FastAPI dependencies routes use, declared once as `Annotated` aliases.

    async def route(settings: SettingsDep, cache: CacheDep, tasks: TasksDep) -> ...

Each reads what the composition root (`handler.composition`, through the app's lifespan)
built for this execution environment; routes never build adapters or read the
environment themselves. Tests swap an adapter with `app.dependency_overrides`.

The settings are the ones the app was created with (`app.state.settings`). `SettingsDep`
types them as `PlatformSettings`; an app with its own subclass declares its alias the
same way, checked to be that class:

    SettingsDep = Annotated[Settings, Depends(settings_dependency(Settings))]

The dependencies are `async def`: FastAPI runs a sync dependency in its threadpool, which
costs ~0.2 ms a call here.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, TypeVar

from fastapi import BackgroundTasks, Depends
from starlette.requests import HTTPConnection

from handler.platform.cache.store import ResponseCache
from handler.platform.http.app_state import PlatformState, state_of
from handler.platform.http.error_docs import declare_errors, openapi_error
from handler.platform.http.hit_skip import hit_may_skip
from handler.platform.pagination.cursor import CursorCodec
from handler.platform.ratelimit.limiter import RateLimiter
from handler.platform.realtime.hub import Hub
from handler.platform.runtime.request_id import request_id_var
from handler.platform.settings import PlatformSettings
from handler.platform.tasks.errors import TaskQueueUnavailable
from handler.platform.tasks.request_tasks import Tasks

logger = logging.getLogger(__name__)
P = TypeVar("P", bound=PlatformSettings)


def settings_of(connection: HTTPConnection, kind: type[P]) -> P:
    """The settings the app was created with, checked to be a `kind`: the one way code
    with a request reads them."""
    settings = getattr(connection.app.state, "settings", None)
    if not isinstance(settings, kind):
        raise RuntimeError(f"no {kind.__name__} in app.state.settings: the app sets it")
    return settings


def app_settings(connection: HTTPConnection) -> PlatformSettings:
    return settings_of(connection, PlatformSettings)


def settings_dependency(kind: type[P]) -> Callable[[HTTPConnection], Awaitable[P]]:
    """The dependency that reads the app's settings as a `kind` (a subclass for the app's
    own fields)."""

    async def settings(connection: HTTPConnection) -> P:
        # Async: FastAPI would run a sync dependency in its threadpool (see the docstring).
        return settings_of(connection, kind)

    # Reading settings has no side effect: a cache hit may answer without it.
    return hit_may_skip(settings)


@hit_may_skip
async def get_cache(connection: HTTPConnection) -> ResponseCache:
    return state_of(connection, PlatformState).cache


@hit_may_skip
async def get_rate_limiter(connection: HTTPConnection) -> RateLimiter:
    return state_of(connection, PlatformState).rate_limiter


@hit_may_skip
async def get_cursors(connection: HTTPConnection) -> CursorCodec:
    return state_of(connection, PlatformState).cursors


@hit_may_skip
async def get_hub(connection: HTTPConnection) -> Hub:
    return state_of(connection, PlatformState).realtime


async def get_tasks(
    connection: HTTPConnection, background: BackgroundTasks
) -> AsyncIterator[Tasks]:
    queue = state_of(connection, PlatformState).task_queue
    max_bytes = app_settings(connection).task_max_message_bytes
    tasks = Tasks(queue, background, max_message_bytes=max_bytes)
    # An exception from the handler is raised at this yield: its tasks are dropped.
    yield tasks
    try:
        await tasks.flush()
    except TaskQueueUnavailable as exc:
        # handler.platform.http.errors answers 503; say here which request lost what.
        logger.error("tasks not queued, answering 503 (request %s): %s", request_id_var.get(), exc)
        raise


declare_errors(get_tasks, {503: openapi_error("The task queue did not take the tasks")})

SettingsDep = Annotated[PlatformSettings, Depends(settings_dependency(PlatformSettings))]
CacheDep = Annotated[ResponseCache, Depends(get_cache)]
RateLimiterDep = Annotated[RateLimiter, Depends(get_rate_limiter)]
CursorsDep = Annotated[CursorCodec, Depends(get_cursors)]
HubDep = Annotated[Hub, Depends(get_hub)]
# scope="function": flushed when the handler returns, before the response is sent.
TasksDep = Annotated[Tasks, Depends(get_tasks, scope="function")]
