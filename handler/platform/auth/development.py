"""The development issuer: tokens for `python -m local` without an identity provider.

Its private key (ES256, P-256) is created on first use in a git-ignored file
(AUTH_DEVELOPMENT_KEY, `.local/auth-development-key.pem`), readable by its owner only,
and reused by every process on the machine: the server verifies what
`python -m local token --sub alice` signed. Its tokens look like Cognito access tokens
(`token_use`, `client_id`, `cognito:groups`), so the same checks run on a laptop as on
AWS. The app serves its JWKS at `/.well-known/jwks.json` in development only, and a
production start-up never uses it (AUTH_ISSUER is required there).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey

# A host under .invalid (RFC 2606) can never be a real issuer's.
DEVELOPMENT_ISSUER = "https://development-issuer.invalid"
DEVELOPMENT_CLIENT_ID = "local-development"
DEFAULT_KEY_FILE = ".local/auth-development-key.pem"
MAX_TTL_SECONDS = 7 * 24 * 3600


class DevelopmentIssuer:
    def __init__(self, key_file: str | Path = DEFAULT_KEY_FILE) -> None:
        self.key_file = Path(key_file)
        self._key: EllipticCurvePrivateKey | None = None

    @property
    def private_key(self) -> EllipticCurvePrivateKey:
        if self._key is None:
            self._key = _load_or_create(self.key_file)
        return self._key

    def public_jwk(self) -> dict[str, Any]:
        from jwt.algorithms import ECAlgorithm

        jwk: dict[str, Any] = ECAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        # RFC 7638 thumbprint: the same key always has the same kid.
        members = json.dumps({k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"))
        kid = hashlib.sha256(members.encode()).hexdigest()[:16]
        return {**jwk, "kid": kid, "alg": "ES256", "use": "sig"}

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.public_jwk()]}

    def issue(
        self,
        subject: str,
        *,
        admin: bool = False,
        ttl: int = 3600,
        groups: tuple[str, ...] = (),
        now: float | None = None,
    ) -> str:
        """An access token for `subject`, valid for `ttl` seconds (a week at most)."""
        import jwt

        if not 1 <= ttl <= MAX_TTL_SECONDS:
            raise ValueError(f"ttl must be 1 to {MAX_TTL_SECONDS} seconds")
        issued = int(time.time() if now is None else now)
        claims: dict[str, Any] = {
            "iss": DEVELOPMENT_ISSUER,
            "sub": subject,
            "client_id": DEVELOPMENT_CLIENT_ID,
            "token_use": "access",
            "scope": "openid",
            "iat": issued,
            "nbf": issued,
            "exp": issued + ttl,
            "jti": uuid.uuid4().hex,
        }
        all_groups = [*groups, *(["admin"] if admin else [])]
        if all_groups:
            claims["cognito:groups"] = all_groups
        kid = self.public_jwk()["kid"]
        return jwt.encode(claims, self.private_key, algorithm="ES256", headers={"kid": kid})


def _load_or_create(path: Path) -> EllipticCurvePrivateKey:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        # Written aside, then linked into place: of two processes starting at once, one
        # key wins and both use it; nobody reads half a file.
        partial = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
        try:
            os.link(partial, path)
        except FileExistsError:
            pass
        finally:
            partial.unlink()
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{path} does not hold an EC private key")
    return loaded
