"""Identity and access: bearer JWTs verified against the issuer's keys (docs/auth.md).

`TokenVerifier` (PyJWT) turns a token into an `Identity` or raises `InvalidToken`;
`KeyCache` holds the issuer's JWKS; `DevelopmentIssuer` signs tokens on a laptop.
`handler.platform.auth.callers` holds the FastAPI dependencies (`CurrentUser`,
`OptionalUser`, `AdminUser`). Only `identity` and `errors` are imported here, so code
that merely names an identity never imports PyJWT or `cryptography`.
"""

from __future__ import annotations

from handler.platform.auth.errors import AuthError, InvalidToken, KeysUnavailable
from handler.platform.auth.identity import Identity

__all__ = ["AuthError", "Identity", "InvalidToken", "KeysUnavailable"]
