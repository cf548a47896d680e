"""The token verifier: the issuer's (AUTH_ISSUER) or the development one."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from handler.platform.settings import ConfigError, PlatformSettings

if TYPE_CHECKING:
    from handler.platform.auth.development import DevelopmentIssuer
    from handler.platform.auth.verifier import TokenVerifier


def identity_backend(settings: PlatformSettings) -> str:
    return "issuer" if settings.auth_issuer else "development"


def require_issuer(settings: PlatformSettings) -> None:
    """The start-up check of a function that reads tokens (the HTTP app, the WebSocket
    function): in production, an empty AUTH_ISSUER is a `ConfigError`, one line, so an
    API never starts unable to tell who calls it. The worker and the stream function read
    no token and need none."""
    if settings.environment == "production" and not settings.auth_issuer:
        raise ConfigError(
            "invalid configuration: AUTH_ISSUER must be set in production (the issuer whose"
            " tokens the API trusts, e.g. https://cognito-idp.{region}.amazonaws.com/{poolId})"
        )


@lru_cache(maxsize=4)
def token_verifier(settings: PlatformSettings) -> TokenVerifier:
    """Tokens of AUTH_ISSUER against its JWKS; without one (development only: production
    refuses to start), the development issuer's. Its keys are cached while warm."""
    from handler.platform.auth.factory import build_verifier

    if settings.environment == "production" and not settings.auth_issuer:
        # require_issuer refuses this at start-up. Should it get through, the development key
        # is still never trusted: no keys, so every token answers 503 (and is logged).
        from handler.platform.auth.keys import KeyCache
        from handler.platform.auth.verifier import TokenVerifier

        def no_issuer() -> dict[str, object]:
            raise RuntimeError("AUTH_ISSUER is not set: no token can be verified")

        return TokenVerifier(issuer="urn:unconfigured", keys=KeyCache(no_issuer))

    return build_verifier(
        issuer=settings.auth_issuer,
        jwks_url=settings.auth_jwks_url,
        audiences=settings.auth_audience.split(","),
        leeway=settings.auth_leeway,
        groups_claim=settings.auth_groups_claim,
        admin_group=settings.auth_admin_group,
        development=None if settings.auth_issuer else development_issuer(settings),
        endpoint_url=settings.aws_endpoint_url or None,
    )


@lru_cache(maxsize=4)
def development_issuer(settings: PlatformSettings) -> DevelopmentIssuer:
    from handler.platform.auth.development import DevelopmentIssuer

    return DevelopmentIssuer(settings.auth_development_key)
