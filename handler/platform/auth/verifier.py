"""`TokenVerifier`: a bearer JWT in, an `Identity` out, or `InvalidToken`.

PyJWT (with `cryptography`) does the cryptography and the registered claims; what is
checked, in this order, each failure an `InvalidToken` with its own `reason`:

1. the token: at most `max_token_bytes`, ASCII, three segments (`too_large`, `malformed`);
2. the header: `alg` RS256 or ES256 only (`none`, HS* and anything else: `algorithm`),
   a `kid` the issuer's JWKS holds (`unknown_kid`, after one refetch), and the key's own
   algorithm equal to `alg` (a public key is never used as an HMAC secret);
3. the signature (`bad_signature`), `iss` equal to the issuer (`issuer`), `exp` and
   `nbf` within `leeway` seconds (`expired`, `not_yet_valid`), `exp`, `iss`, `sub`
   present (`missing_claim`);
4. the audience (`audience`): a token with `token_use` (Cognito) must be an access token
   (`token_use`: an ID token is refused) whose `client_id` is one of `audiences`; any
   other token must name one of them in `aud`. No audiences configured (development):
   any audience the issuer signed;
5. `sub`: 1 to 256 printable characters (`subject`): it becomes an owner and a log field.

Tokens already verified are remembered (up to `remember` of them, never past their
`exp`): a client sends the same token for its whole life, and a signature check is the
one costly step (~40 µs for RS256 here).
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

import jwt
from jwt import exceptions as jwt_errors

from handler.platform.auth.errors import InvalidToken
from handler.platform.auth.identity import Identity
from handler.platform.auth.keys import SIGNING_ALGORITHMS, KeyCache

# Cognito access tokens are ~1 KB; an ID token with many groups a few KB.
MAX_TOKEN_BYTES = 8 * 1024
_SUBJECT = re.compile(r"[^\x00-\x1f\x7f]{1,256}")
_KID = re.compile(r"[\x21-\x7e]{1,256}")
_MAX_GROUPS = 100


class TokenVerifier:
    def __init__(
        self,
        *,
        issuer: str,
        keys: KeyCache,
        audiences: Iterable[str] = (),
        leeway: float = 30,
        groups_claim: str = "cognito:groups",
        admin_group: str = "admin",
        max_token_bytes: int = MAX_TOKEN_BYTES,
        remember: int = 1024,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.issuer = issuer
        self.keys = keys
        self.audiences = frozenset(a for a in audiences if a)
        self.leeway = leeway
        self.groups_path = _claim_path(groups_claim)
        self.admin_group = admin_group
        self.max_token_bytes = max_token_bytes
        self._clock = clock
        self._remember = remember
        self._verified: OrderedDict[str, tuple[Identity, float]] = OrderedDict()

    async def verify(self, token: str) -> Identity:
        remembered = self._verified.get(token)
        if remembered is not None:
            identity, expires = remembered
            if self._clock() < expires + self.leeway:
                return identity
            del self._verified[token]
        identity, expires = await self._verify(token)
        self._verified[token] = (identity, expires)
        if len(self._verified) > self._remember:
            self._verified.popitem(last=False)
        return identity

    async def _verify(self, token: str) -> tuple[Identity, float]:
        if len(token) > self.max_token_bytes:
            raise InvalidToken("too_large", f"the token is over {self.max_token_bytes} bytes")
        if not token.isascii() or token.count(".") != 2:
            raise InvalidToken("malformed")
        try:
            header = jwt.get_unverified_header(token)
        except jwt_errors.PyJWTError:
            raise InvalidToken("malformed") from None
        algorithm, kid = header.get("alg"), header.get("kid")
        if algorithm not in SIGNING_ALGORITHMS:
            raise InvalidToken("algorithm")
        if not isinstance(kid, str) or not _KID.fullmatch(kid):
            raise InvalidToken("unknown_kid")
        key = await self.keys.key(kid)
        if key is None:
            raise InvalidToken("unknown_kid")
        if key.algorithm_name != algorithm:
            raise InvalidToken("algorithm")
        claims = self._decode(token, key, algorithm)
        self._check_audience(claims)
        subject = claims.get("sub")
        if not isinstance(subject, str) or not _SUBJECT.fullmatch(subject):
            raise InvalidToken("subject")
        groups = self._groups(claims)
        identity = Identity(
            subject=subject,
            groups=groups,
            scopes=_scopes(claims),
            admin=self.admin_group in groups,
            claims=claims,
        )
        return identity, float(claims["exp"])

    def _decode(self, token: str, key: Any, algorithm: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iss", "sub"], "verify_aud": False},
            )
        except jwt_errors.ExpiredSignatureError:
            raise InvalidToken("expired", "the token has expired") from None
        except jwt_errors.ImmatureSignatureError:
            raise InvalidToken("not_yet_valid") from None
        except jwt_errors.InvalidSignatureError:
            raise InvalidToken("bad_signature") from None
        except jwt_errors.InvalidIssuerError:
            raise InvalidToken("issuer") from None
        except jwt_errors.MissingRequiredClaimError:
            raise InvalidToken("missing_claim") from None
        except jwt_errors.PyJWTError:
            raise InvalidToken("malformed") from None
        return claims

    def _check_audience(self, claims: dict[str, Any]) -> None:
        token_use = claims.get("token_use")
        if token_use is not None:
            if token_use != "access":  # noqa: S105 - a claim value, not a secret
                raise InvalidToken("token_use", "an access token is needed, not an ID token")
            named: Any = [claims.get("client_id")]
        else:
            named = claims.get("aud")
            named = [named] if isinstance(named, str) else named
        if not isinstance(named, list):
            raise InvalidToken("audience")
        if self.audiences and not self.audiences.intersection(
            value for value in named if isinstance(value, str)
        ):
            raise InvalidToken("audience")

    def _groups(self, claims: dict[str, Any]) -> frozenset[str]:
        value: Any = claims
        for part in self.groups_path:
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, str):
            value = value.split()
        if not isinstance(value, list):
            return frozenset()
        return frozenset(group for group in value[:_MAX_GROUPS] if isinstance(group, str))


def _claim_path(claim: str) -> tuple[str, ...]:
    """`realm_access.roles` (Keycloak) is a path; `cognito:groups` is one name."""
    return tuple(part for part in claim.split(".") if part)


def _scopes(claims: dict[str, Any]) -> frozenset[str]:
    value = claims.get("scope", claims.get("scp"))  # `scp`: Entra ID, Okta
    if isinstance(value, str):
        return frozenset(value.split()[:_MAX_GROUPS])
    if isinstance(value, list):
        return frozenset(v for v in value[:_MAX_GROUPS] if isinstance(v, str))
    return frozenset()
