"""The FastAPI side of the platform: pure ASGI middleware, the one error shape, the
dependencies routes use, `@cached` (served by the route class `CachingRoute`; a
dependency a hit may skip is marked `@hit_may_skip`), `rate_limit()`, and sub-apps
mounted on first use.

Nothing outside this package (and `handler.app`, `handler.api`) imports FastAPI, so the
worker and WebSocket functions never load it.
"""

from __future__ import annotations

from handler.platform.http.cached import cached
from handler.platform.http.caching_route import CachingRoute
from handler.platform.http.deps import (
    CacheDep,
    HubDep,
    RateLimiterDep,
    SettingsDep,
    TasksDep,
    settings_dependency,
)
from handler.platform.http.errors import AppError, install_error_handlers
from handler.platform.http.hit_skip import hit_may_skip
from handler.platform.http.lazy import LazyApp
from handler.platform.http.rate_limit import RateLimited, client_address, rate_limit

__all__ = [
    "AppError",
    "CacheDep",
    "CachingRoute",
    "HubDep",
    "LazyApp",
    "RateLimited",
    "RateLimiterDep",
    "SettingsDep",
    "TasksDep",
    "cached",
    "client_address",
    "hit_may_skip",
    "install_error_handlers",
    "rate_limit",
    "settings_dependency",
]
