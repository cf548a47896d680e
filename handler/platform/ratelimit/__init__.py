"""Rate limits with `limits` (moving window): in memory locally, in the shared Redis on
AWS, so one limit holds for the whole fleet. Routes use it through the `rate_limit()`
dependency (`handler.platform.http.rate_limit`)."""

from __future__ import annotations

from handler.platform.ratelimit.limiter import (
    Decision,
    RateLimiter,
    RateLimiterUnavailable,
    open_rate_limiter,
)

__all__ = ["Decision", "RateLimiter", "RateLimiterUnavailable", "open_rate_limiter"]
