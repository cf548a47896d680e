"""What verification raises. No FastAPI here (the WebSocket function has none):
`handler.platform.auth.callers` says these over HTTP, the realtime drivers over `$connect`.

    AuthError
    ├── InvalidToken       the token is refused (401, WWW-Authenticate error="invalid_token")
    └── KeysUnavailable    the issuer's keys cannot be read now (503: never a 500, never in)
"""

from __future__ import annotations


class AuthError(Exception):
    """Base of verification's errors."""


class InvalidToken(AuthError):
    """A token that does not prove an identity. `reason` is a short code for logs and
    metrics (`expired`, `bad_signature`, ...); clients get one generic description, so a
    forger learns nothing from which check failed, except for `expired`, which a client
    needs to know to refresh."""

    def __init__(self, reason: str, description: str = "the bearer token is not valid") -> None:
        super().__init__(f"{reason}: {description}")
        self.reason = reason
        self.description = description


class KeysUnavailable(AuthError):
    """The JWKS could not be fetched and no cached keys can answer."""

    retry_after = 5
