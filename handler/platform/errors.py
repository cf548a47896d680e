"""The platform's errors: one family, each carrying its own answer.

    PlatformError                        status  `error`
    ├── AppError                         any     a route's own, raised on purpose
    │   ├── RateLimited                  429     Too Many Requests (+ Retry-After)
    │   ├── Unauthenticated              401     Unauthorized (+ WWW-Authenticate)
    │   ├── Forbidden                    403     Forbidden
    │   └── IdentityUnavailable          503     Identity provider unavailable
    ├── RateLimiterUnavailable           503     Rate limiter unavailable (+ Retry-After)
    ├── TaskQueueUnavailable             503     Task queue unavailable (also a TaskError)
    ├── InvalidCursor                    400     Invalid cursor
    ├── BackendUnavailable               503     (Redis; callers catch it, it never answers)
    └── a resource's own, e.g. UserError (handler/api/users/errors.py)
        ├── UserNotFound                 404     User not found
        ├── EmailTaken                   409     Email taken
        ├── VersionMismatch              412     Precondition Failed (+ the current ETag)
        ├── NotOwner                     403     Forbidden
        └── UsersUnavailable             503     Users store unavailable (+ Retry-After)

An error says its status, its `error` name, its `detail` and its headers; the HTTP layer
(`handler.platform.http.errors`) answers every one of them with one handler, found along
the class hierarchy as Starlette looks handlers up, so a new error needs a subclass and
no registration line. No FastAPI here: the worker and the WebSocket function raise these
too.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar


class PlatformError(Exception):
    """Base of every error the app answers on purpose.

    `status_code` and `error` are class attributes a subclass sets; `detail` (any
    JSON value, shown to the client) and `headers` belong to one raise. `log_level`:
    how the answer is logged (a client's mistake: INFO; the platform's trouble: WARNING)."""

    status_code: ClassVar[int] = 500
    error: str = "Internal server error"
    log_level: ClassVar[int] = logging.INFO

    def __init__(
        self,
        message: str | None = None,
        *,
        detail: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message or self.error)
        self.detail = detail
        self.headers = dict(headers or {})


class Unavailable(PlatformError):
    """A backend cannot answer now: 503, logged as a warning, the client may retry."""

    status_code: ClassVar[int] = 503
    error = "Service unavailable"
    log_level: ClassVar[int] = logging.WARNING
