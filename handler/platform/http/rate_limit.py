"""`dependencies=[rate_limit("5/minute")]`: a route's limit, the FastAPI way.

Every answer of a limited route carries `X-RateLimit-Limit`, `-Remaining` and `-Reset`
(only `-Limit` while failing open: the count is unknown then); over the limit the answer
is 429 JSON with `Retry-After`.

Whose counter: the caller's token subject when a valid token was sent, the client IP
otherwise (`client_address`), unless the route passes its own `key=`. A token is
verified before counting (an invalid one answers 401), so nobody can spend another
subject's allowance, nor escape their own by sending garbage.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from fastapi import Depends, Request, Response

# A module reference, not its names: auth.callers imports this package (its error docs),
# and `check`'s annotations are resolved when a route is declared, after both loaded.
from handler.platform.auth import callers
from handler.platform.http.deps import RateLimiterDep, app_settings
from handler.platform.http.error_docs import declare_errors, openapi_error
from handler.platform.http.errors import AppError

if TYPE_CHECKING:
    from limits import RateLimitItem

KeyFunc = Callable[[Request], str | Awaitable[str]]
# One limit in the notation `limits` parses ("5/minute", "100 per hour", "10/5 seconds").
# Checked here because importing `limits` (~20 ms) waits for the first hit.
_LIMIT = re.compile(
    r"\s*[0-9]+\s*(/|\s+per\s+)\s*([0-9]+\s*)?(second|minute|hour|day|month|year)s?\s*",
    re.IGNORECASE,
)


class RateLimited(AppError):
    status_code = 429


def client_address(request: Request) -> str:
    """The client's IP address: the one rate-limit key that needs no login.

    On Lambda, Mangum puts API Gateway's `requestContext` source IP in `scope["client"]`;
    under uvicorn (run with proxy_headers=False) it is the socket peer. A client can write
    any `X-Forwarded-For` it likes, so the header is read only when TRUSTED_PROXY_HOPS
    says that many proxies of ours each appended the address they saw: the client is then
    the entry the outermost of them appended.
    """
    settings = app_settings(request)
    peer = request.client.host if request.client else "unknown"
    hops = settings.trusted_proxy_hops
    if hops:
        forwarded = [
            address.strip()
            for header in request.headers.getlist("x-forwarded-for")
            for address in header.split(",")
            if address.strip()
        ]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return peer


def caller_key(request: Request, subject: str | None) -> str:
    """`sub:<subject>` for a signed-in caller, `ip:<address>` otherwise: two namespaces,
    so no subject can be chosen to share an address's counter."""
    return f"sub:{subject}" if subject is not None else f"ip:{client_address(request)}"


def rate_limit(limit: str, *, key: KeyFunc | None = None, scope: str | None = None) -> Any:
    """A dependency enforcing `limit` ("5/minute", "100 per hour") per caller (the
    subject, else the client IP) or per `key(request)`; the counter is per route unless
    `scope` names one shared by several routes."""
    # Checked here, at import, so a misspelt limit fails at startup, not per request.
    if not _LIMIT.fullmatch(limit):
        raise ValueError(f"bad rate limit {limit!r}: expected e.g. '5/minute', '100 per hour'")

    async def check(
        request: Request,
        response: Response,
        limiter: RateLimiterDep,
        caller: callers.OptionalUser,
    ) -> None:
        if key is not None:
            identity = key(request)
            if inspect.isawaitable(identity):
                identity = await identity
        else:
            identity = caller_key(request, caller.subject if caller else None)
        route = request.scope.get("route")
        name: str = scope or getattr(route, "path", None) or request.url.path
        decision = await limiter.hit(_parsed(limit), name, str(identity))
        if not decision.allowed:
            raise RateLimited("Too Many Requests", headers=decision.headers())
        response.headers.update(decision.headers())

    declare_errors(
        check,
        {
            429: openapi_error("Over the rate limit", retry_after=True),
            503: openapi_error("Redis is down and RATE_LIMIT_FAIL_OPEN is false", retry_after=True),
        },
    )
    return Depends(check)


@functools.cache
def _parsed(limit: str) -> RateLimitItem:
    from limits import parse

    return parse(limit)
