"""The stack's Cognito user pool in moto server: the pool, its app client and the group
`admin`, created as infra/identity.py creates them (topology.USER_POOL holds the values,
tests/infra/test_emulator_topology.py holds those against the template).

moto signs its tokens as Cognito does (RS256; `iss`
`https://cognito-idp.{region}.amazonaws.com/{poolId}`; access tokens with `client_id`,
`token_use=access` and `cognito:groups`; ID tokens with `aud`), and serves the keys at
`{endpoint}/{poolId}/.well-known/jwks.json`: the issuer's own address would be AWS's, so
the functions get AUTH_JWKS_URL pointing there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from local.aws.topology import USER_POOL, UserPoolSpec

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient


@dataclass(frozen=True)
class UserPool:
    pool_id: str
    client_id: str
    issuer: str  # AUTH_ISSUER
    jwks_url: str  # AUTH_JWKS_URL: moto's, not the issuer's address

    def environment(self) -> dict[str, str]:
        """What a function that verifies tokens gets (infra/stack.py `_wire_identity`)."""
        return {
            "AUTH_ISSUER": self.issuer,
            "AUTH_AUDIENCE": self.client_id,
            "AUTH_JWKS_URL": self.jwks_url,
        }


def create_user_pool(
    idp: CognitoIdentityProviderClient,
    *,
    name: str,
    endpoint_url: str,
    region: str,
    spec: UserPoolSpec = USER_POOL,
) -> UserPool:
    policy = spec.password_policy
    pool_id = idp.create_user_pool(
        PoolName=name,
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": not spec.self_sign_up},
        UsernameAttributes=list(spec.username_attributes),  # type: ignore[arg-type]
        UsernameConfiguration={"CaseSensitive": False},
        AutoVerifiedAttributes=["email"],
        MfaConfiguration="OPTIONAL",
        Policies={
            "PasswordPolicy": {
                "MinimumLength": policy.min_length,
                "RequireLowercase": policy.require_lowercase,
                "RequireUppercase": policy.require_uppercase,
                "RequireNumbers": policy.require_digits,
                "RequireSymbols": policy.require_symbols,
                "TemporaryPasswordValidityDays": policy.temporary_password_days,
            }
        },
    )["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName=f"{name}-AppClient",
        GenerateSecret=False,
        ExplicitAuthFlows=list(spec.auth_flows),  # type: ignore[arg-type]
        PreventUserExistenceErrors="ENABLED",
        EnableTokenRevocation=True,
    )["UserPoolClient"]["ClientId"]
    idp.create_group(UserPoolId=pool_id, GroupName=spec.admin_group)
    return UserPool(
        pool_id=pool_id,
        client_id=client_id,
        issuer=f"https://cognito-idp.{region}.amazonaws.com/{pool_id}",
        jwks_url=f"{endpoint_url.rstrip('/')}/{pool_id}/.well-known/jwks.json",
    )
