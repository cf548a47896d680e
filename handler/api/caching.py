"""The seed's cached and rate-limited routes, on the platform's cache and limiter."""

from __future__ import annotations

import time
import uuid

from fastapi import APIRouter
from pydantic import BaseModel

from handler.platform.http.cached import cached
from handler.platform.http.caching_route import CachingRoute
from handler.platform.http.rate_limit import rate_limit

router = APIRouter(tags=["caching"], route_class=CachingRoute)


class Computed(BaseModel):
    computed_at: float
    value: str


@router.get("/cached")
@cached(ttl=60)
async def cached_value() -> Computed:
    """Cached 60 s for the whole fleet: `computed_at` and `value` stay the same on a hit
    (`X-Cache: HIT`). Send `Cache-Control: no-cache` to recompute."""
    return Computed(computed_at=time.time(), value=uuid.uuid4().hex)


@router.get("/limited", dependencies=[rate_limit("5/minute")])
async def limited() -> dict[str, str]:
    """5 requests per minute per client address; then 429 with `Retry-After`."""
    return {"detail": "within the limit"}
