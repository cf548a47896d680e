"""Using a shared Redis safely from many processes: the environment's one pool (built on
first use), a circuit breaker, a time budget per call, and `GuardedBackend`, the one
guarded call the cache and the rate limiter both go through.

Importing this package does not import redis-py; `handler.platform.redis.pool` does, and
only the composition root imports it, when a request first needs Redis.
"""

from __future__ import annotations

from handler.platform.redis.breaker import Breaker
from handler.platform.redis.budget import PoolExhausted, redis_budget
from handler.platform.redis.first_use import BackendUnavailable, OnFirstUse
from handler.platform.redis.guarded import GuardedBackend

__all__ = [
    "BackendUnavailable",
    "Breaker",
    "GuardedBackend",
    "OnFirstUse",
    "PoolExhausted",
    "redis_budget",
]
