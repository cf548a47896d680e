"""Users of a Cognito user pool (moto's in the emulator, the stack's on AWS), signed up and
in with the ordinary Cognito API, as docs/auth.md tells an operator to: admin_create_user,
admin_set_user_password (permanent), admin_add_user_to_group for an admin, then
initiate_auth with USER_PASSWORD_AUTH."""

from __future__ import annotations

import json
import uuid
from base64 import urlsafe_b64decode
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

# Meets the stack's policy: 12+ characters, upper, lower, digit, symbol.
PASSWORD = "Correct-Horse-9-Battery"


@dataclass(frozen=True)
class SignedIn:
    email: str
    access_token: str
    id_token: str

    @property
    def subject(self) -> str:
        """The `sub` the API knows the user by (an owner, a chat name)."""
        return str(claims(self.access_token)["sub"])

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def claims(token: str) -> dict[str, Any]:
    """A token's claims, unverified (for assertions; the app verifies)."""
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return decoded


def sign_up_and_in(
    idp: CognitoIdentityProviderClient,
    *,
    pool_id: str,
    client_id: str,
    name: str,
    admin: bool = False,
    admin_group: str = "admin",
) -> SignedIn:
    """A new user `name-<random>@example.com` (in `admin_group` if `admin`), signed in."""
    email = f"{name}-{uuid.uuid4().hex[:8]}@example.com"
    idp.admin_create_user(UserPoolId=pool_id, Username=email, MessageAction="SUPPRESS")
    idp.admin_set_user_password(
        UserPoolId=pool_id, Username=email, Password=PASSWORD, Permanent=True
    )
    if admin:
        idp.admin_add_user_to_group(UserPoolId=pool_id, Username=email, GroupName=admin_group)
    answer = idp.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
    )
    result = answer["AuthenticationResult"]
    return SignedIn(email=email, access_token=result["AccessToken"], id_token=result["IdToken"])


def delete_user(idp: CognitoIdentityProviderClient, *, pool_id: str, user: SignedIn) -> None:
    """On a real pool, tests leave no users behind."""
    idp.admin_delete_user(UserPoolId=pool_id, Username=user.email)
