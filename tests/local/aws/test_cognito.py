"""The stack's user pool in moto server: created as infra/identity.py creates it, its
tokens are Cognito's (claims and keys), and the app's verifier, configured with the
environment the emulator gives the functions, accepts its access tokens only."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from botocore.exceptions import ClientError

from handler.composition import token_verifier
from handler.platform.auth.errors import InvalidToken
from handler.settings import Settings
from local.aws.moto_server import MotoServices, Resources, cognito_client
from local.aws.topology import USER_POOL
from tests.support.cognito import SignedIn, claims, sign_up_and_in


@pytest.fixture(scope="module")
def resources() -> Iterator[Resources]:
    moto = MotoServices(prefix="CognitoTest")
    yield moto.start()
    moto.stop()


def user(resources: Resources, name: str, *, admin: bool = False) -> SignedIn:
    pool = resources.user_pool
    return sign_up_and_in(
        cognito_client(resources.endpoint_url),
        pool_id=pool.pool_id,
        client_id=pool.client_id,
        name=name,
        admin=admin,
    )


def test_the_pool_is_created_as_the_stack_creates_it(resources: Resources) -> None:
    idp = cognito_client(resources.endpoint_url)
    pool = resources.user_pool
    described = idp.describe_user_pool(UserPoolId=pool.pool_id)["UserPool"]
    assert described["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert described["UsernameAttributes"] == ["email"]
    assert described["Policies"]["PasswordPolicy"]["MinimumLength"] == 12
    client = idp.describe_user_pool_client(UserPoolId=pool.pool_id, ClientId=pool.client_id)
    assert "ClientSecret" not in client["UserPoolClient"]
    assert set(client["UserPoolClient"]["ExplicitAuthFlows"]) == set(USER_POOL.auth_flows)
    groups = idp.list_groups(UserPoolId=pool.pool_id)["Groups"]
    assert [group["GroupName"] for group in groups] == ["admin"]
    idp.admin_create_user(UserPoolId=pool.pool_id, Username="weak@example.com")
    with pytest.raises(ClientError, match="InvalidPassword"):
        idp.admin_set_user_password(
            UserPoolId=pool.pool_id,
            Username="weak@example.com",
            Password="short1!A",
            Permanent=True,
        )


def test_tokens_carry_cognitos_claims(resources: Resources) -> None:
    alice = user(resources, "alice", admin=True)
    access, id_token = claims(alice.access_token), claims(alice.id_token)
    pool = resources.user_pool

    assert access["iss"] == id_token["iss"] == pool.issuer
    assert (access["token_use"], access["client_id"]) == ("access", pool.client_id)
    assert "aud" not in access, "Cognito access tokens name their client in client_id"
    assert access["cognito:groups"] == ["admin"]
    assert (id_token["token_use"], id_token["aud"]) == ("id", pool.client_id)
    keys = httpx.get(pool.jwks_url).json()["keys"]
    assert [key["alg"] for key in keys] == ["RS256"]


def test_the_apps_verifier_accepts_access_tokens_and_refuses_id_tokens(
    resources: Resources,
) -> None:
    settings = Settings(
        environment="test", **{k.lower(): v for k, v in resources.user_pool.environment().items()}
    )
    verifier = token_verifier(settings)
    admin, bob = user(resources, "root", admin=True), user(resources, "bob")

    identity = asyncio.run(verifier.verify(admin.access_token))
    assert (identity.subject, identity.admin) == (admin.subject, True)
    assert asyncio.run(verifier.verify(bob.access_token)).admin is False
    with pytest.raises(InvalidToken) as refused:
        asyncio.run(verifier.verify(bob.id_token))
    assert refused.value.reason == "token_use"
