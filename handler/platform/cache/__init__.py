"""The response cache store: JSON values (never pickle), in memory locally and in the
shared Redis on AWS; never raises for backend trouble. Routes use it through the
`@cached` decorator (`handler.platform.http.cached`)."""

from __future__ import annotations

from handler.platform.cache.store import ResponseCache, open_cache

__all__ = ["ResponseCache", "open_cache"]
