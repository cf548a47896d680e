"""Identity as FastAPI dependencies, declared once as `Annotated` aliases:

    async def create(user: CurrentUser) -> ...      # signed in, or 401
    async def delete(admin: AdminUser) -> ...       # an admin, or 403 (401 unsigned)
    async def read(viewer: OptionalUser) -> ...     # None when no token was sent
    Security(current_user, scopes=["users:write"])  # OAuth 2 scopes, or 403

A token that is sent is always verified: an invalid one answers 401 even where none is
needed, so a client with an expired token hears so instead of silently reading as
anonymous. The bearer scheme is FastAPI's `HTTPBearer`, so the OpenAPI schema declares it
and Swagger UI's Authorize button sends it. The verifier is the composition root's (lifespan
state `token_verifier`, built on first use so that anonymous cold starts never import
PyJWT and `cryptography`).

Answers, in the one error shape:
- 401 `WWW-Authenticate: Bearer` (no token), `Bearer error="invalid_token"` (a bad one);
- 403 `Bearer error="insufficient_scope"` (a missing scope) or a plain 403 (not an admin);
- 503 with `Retry-After` when the issuer's keys cannot be read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPBearer, SecurityScopes
from starlette.requests import HTTPConnection

from handler.platform.auth.errors import InvalidToken, KeysUnavailable
from handler.platform.auth.identity import Identity
from handler.platform.http.app_state import PlatformState, state_of
from handler.platform.http.error_docs import declare_errors, declare_security, openapi_error
from handler.platform.http.errors import AppError
from handler.platform.http.hit_skip import hit_may_skip
from handler.platform.metrics.recorder import count_auth_refusal

if TYPE_CHECKING:
    from handler.platform.auth.verifier import TokenVerifier

logger = logging.getLogger(__name__)


class Unauthenticated(AppError):
    status_code = 401


class Forbidden(AppError):
    status_code = 403


class IdentityUnavailable(AppError):
    status_code = 503


def _challenge(error: str | None = None, description: str | None = None) -> dict[str, str]:
    value = "Bearer"
    if error:
        value += f' error="{error}"'
        if description:
            value += f', error_description="{description}"'
    return {"WWW-Authenticate": value}


class BearerToken(HTTPBearer):
    """`Authorization: Bearer <token>` -> the token, None without the header. FastAPI's
    own answers 403 for another scheme; this answers 401 `invalid_request`, as RFC 6750
    asks, in the app's error shape."""

    def __init__(self) -> None:
        super().__init__(
            bearerFormat="JWT",
            scheme_name="bearer",
            description="An access token from the issuer (see docs/auth.md).",
            auto_error=False,
        )

    async def __call__(self, request: Request) -> str | None:  # type: ignore[override]
        return bearer_of(request)


def bearer_of(connection: HTTPConnection) -> str | None:
    """The bearer token of `Authorization`, None without the header; another scheme or
    an empty token is 401 `invalid_request`."""
    header = connection.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated(
            "Unauthorized",
            detail="send Authorization: Bearer <token>",
            headers=_challenge("invalid_request"),
        )
    return token


# Without Authorization (the only requests a shared cache answers) these give None.
bearer_token = hit_may_skip(BearerToken())


def verifier_of(connection: HTTPConnection) -> Callable[[], TokenVerifier]:
    """The lifespan's verifier factory (built on its first call, then the same)."""
    return state_of(connection, PlatformState).token_verifier


def _refused(connection: HTTPConnection, reason: str) -> None:
    count_auth_refusal(state_of(connection, PlatformState).metrics, reason)


@hit_may_skip
async def optional_user(
    request: Request, token: Annotated[str | None, Depends(bearer_token)]
) -> Identity | None:
    return await identity_of(request, token)


async def identity_of(connection: HTTPConnection, token: str | None) -> Identity | None:
    """The identity `token` proves (None for no token), with the verifier of the app's
    lifespan; `Unauthenticated` (401) or `IdentityUnavailable` (503) otherwise. For code
    outside FastAPI's dependencies (GraphQL's context)."""
    if token is None:
        return None
    verifier = verifier_of(connection)()
    try:
        return await verifier.verify(token)
    except InvalidToken as exc:
        logger.info("bearer token refused: %s", exc.reason)
        _refused(connection, "expired" if exc.reason == "expired" else "invalid_token")
        raise Unauthenticated(
            "Unauthorized",
            detail=exc.description,
            headers=_challenge("invalid_token", exc.description),
        ) from None
    except KeysUnavailable as exc:
        logger.error("answering 503: %s", exc)
        _refused(connection, "jwks_unavailable")
        raise IdentityUnavailable(
            "Identity provider unavailable",
            detail="the issuer's signing keys could not be read; try again",
            headers={"Retry-After": str(exc.retry_after)},
        ) from None


async def current_user(
    request: Request,
    security_scopes: SecurityScopes,
    identity: Annotated[Identity | None, Depends(optional_user)],
) -> Identity:
    if identity is None:
        _refused(request, "missing_token")
        detail = "sign in: send Authorization: Bearer <token>"
        raise Unauthenticated("Unauthorized", detail=detail, headers=_challenge())
    missing = sorted(set(security_scopes.scopes) - identity.scopes)
    if missing:
        _refused(request, "forbidden")
        needed = " ".join(security_scopes.scopes)
        raise Forbidden(
            "Forbidden",
            detail=f"the token lacks the scopes {', '.join(missing)}",
            headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{needed}"'},
        )
    return identity


async def admin_user(
    request: Request, identity: Annotated[Identity, Security(current_user)]
) -> Identity:
    if not identity.admin:
        _refused(request, "forbidden")
        raise Forbidden("Forbidden", detail="only admins may do this")
    return identity


_UNAUTHORIZED = openapi_error("No valid bearer token (see WWW-Authenticate)")
_UNAUTHORIZED["headers"] = {
    "WWW-Authenticate": {"description": "`Bearer`, with the error", "schema": {"type": "string"}}
}
declare_errors(
    optional_user,
    {
        401: _UNAUTHORIZED,
        503: openapi_error("The issuer's signing keys cannot be read now", retry_after=True),
    },
)
declare_errors(current_user, {403: openapi_error("Signed in, but not allowed")})
# A read with OptionalUser alone: the token is optional ({} means anonymous may call).
declare_security(optional_user, optional=[{}, {"bearer": []}])
declare_security(current_user)
declare_errors(admin_user, {403: openapi_error("Signed in, but not an admin")})

OptionalUser = Annotated[Identity | None, Depends(optional_user)]
CurrentUser = Annotated[Identity, Security(current_user)]
AdminUser = Annotated[Identity, Depends(admin_user)]
