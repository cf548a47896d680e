"""`build_verifier`: a `TokenVerifier` from explicit arguments (the composition root passes
the settings' values), for an issuer's JWKS or, without an issuer, the development one."""

from __future__ import annotations

from collections.abc import Iterable

from handler.platform.auth.development import DEVELOPMENT_ISSUER, DevelopmentIssuer
from handler.platform.auth.keys import KeyCache, jwks_fetcher
from handler.platform.auth.verifier import TokenVerifier


def build_verifier(
    *,
    issuer: str,
    jwks_url: str = "",
    audiences: Iterable[str] = (),
    leeway: float = 30,
    groups_claim: str = "cognito:groups",
    admin_group: str = "admin",
    development: DevelopmentIssuer | None = None,
    endpoint_url: str | None = None,
) -> TokenVerifier:
    """Tokens of `issuer`, checked against `jwks_url` (default: the issuer's
    `/.well-known/jwks.json`; `s3://` reads a mirror through `endpoint_url`'s S3). An
    empty `issuer` trusts `development`, which is then required."""
    if issuer:
        url = jwks_url or issuer.rstrip("/") + "/.well-known/jwks.json"
        keys = KeyCache(jwks_fetcher(url, endpoint_url=endpoint_url))
    else:
        if development is None:
            raise ValueError("no issuer and no development issuer to trust")
        issuer, keys = DEVELOPMENT_ISSUER, KeyCache(development.jwks)
    return TokenVerifier(
        issuer=issuer,
        keys=keys,
        audiences=[audience.strip() for audience in audiences],
        leeway=leeway,
        groups_claim=groups_claim,
        admin_group=admin_group,
    )
