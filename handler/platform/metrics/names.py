"""The metric names and the fixed values of their dimensions: the contract with the
dashboard and the alarms (docs/operations.md lists each with its meaning).

Every dimension value comes from a small fixed set (a route template, a registered task
name, a status class, a reason code), never from a request: CloudWatch bills and
indexes each distinct dimension combination as its own metric.
"""

from __future__ import annotations

from typing import Final, Literal

COLD_START: Final = "ColdStart"
REQUESTS: Final = "Requests"
LATENCY: Final = "Latency"
TASKS_QUEUED: Final = "TasksQueued"
TASKS_RUN: Final = "TasksRun"
TASKS_RETRIED: Final = "TasksRetried"
TASKS_DEAD_LETTERED: Final = "TasksDeadLettered"
TASK_DURATION: Final = "TaskDuration"
CONNECTION_POSTS_SENT: Final = "ConnectionPostsSent"
CONNECTION_POSTS_GONE: Final = "ConnectionPostsGone"
CONNECTION_POSTS_FAILED: Final = "ConnectionPostsFailed"
CACHE_HITS: Final = "CacheHits"
CACHE_MISSES: Final = "CacheMisses"
CACHE_BYPASSES: Final = "CacheBypasses"
RATE_LIMIT_REFUSALS: Final = "RateLimitRefusals"
REDIS_FAIL_OPEN: Final = "RedisFailOpen"
AUTH_REFUSALS: Final = "AuthRefusals"

# The `route` value of a request no route matched (a 404 on any path, a scanner's probe).
UNMATCHED_ROUTE: Final = "unmatched"
# `AuthRefusals` reasons: the auth package passes one of these, nothing else.
AuthRefusalReason = Literal[
    "missing_token", "invalid_token", "expired", "forbidden", "jwks_unavailable"
]
AUTH_REFUSAL_REASONS: Final = frozenset(
    {"missing_token", "invalid_token", "expired", "forbidden", "jwks_unavailable"}
)
CacheOutcome = Literal["HIT", "MISS", "BYPASS"]
CACHE_OUTCOMES: Final = {"HIT": CACHE_HITS, "MISS": CACHE_MISSES, "BYPASS": CACHE_BYPASSES}
