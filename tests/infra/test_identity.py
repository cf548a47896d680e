"""Identity: a Cognito user pool nobody signs themselves up to, with a strong password
policy, optional TOTP MFA and (prod) threat protection on the Plus plan; an app client
without a secret for SPAs and CLIs; the group `admin`. The functions that verify tokens
(HTTP, WebSocket) get the pool's issuer and the client id; the others get neither."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.helpers import Synth, function, of_type, one, references


def user_pool(resources: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return one(of_type(resources, "AWS::Cognito::UserPool"))


def test_nobody_signs_themselves_up_and_users_sign_in_with_email(template: Any) -> None:
    template.has_resource_properties(
        "AWS::Cognito::UserPool",
        {
            "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
            "UsernameAttributes": ["email"],
            "UsernameConfiguration": {"CaseSensitive": False},
            "AutoVerifiedAttributes": ["email"],
            "AccountRecoverySetting": {
                "RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]
            },
        },
    )


def test_the_password_policy_is_strong(template: Any) -> None:
    template.has_resource_properties(
        "AWS::Cognito::UserPool",
        {
            "Policies": {
                "PasswordPolicy": {
                    "MinimumLength": 12,
                    "RequireLowercase": True,
                    "RequireUppercase": True,
                    "RequireNumbers": True,
                    "RequireSymbols": True,
                    "TemporaryPasswordValidityDays": 3,
                }
            }
        },
    )


def test_mfa_is_optional_totp_only(template: Any) -> None:
    template.has_resource_properties(
        "AWS::Cognito::UserPool",
        {"MfaConfiguration": "OPTIONAL", "EnabledMfas": ["SOFTWARE_TOKEN_MFA"]},
    )


def test_dev_is_on_essentials_without_threat_protection(resources: dict[str, Any]) -> None:
    _, pool = user_pool(resources)
    assert pool["Properties"]["UserPoolTier"] == "ESSENTIALS"
    assert "UserPoolAddOns" not in pool["Properties"]
    assert pool["DeletionPolicy"] == "Delete"
    assert pool["Properties"]["DeletionProtection"] == "INACTIVE"


def test_prod_enforces_threat_protection_and_keeps_the_pool(
    prod_resources: dict[str, Any],
) -> None:
    _, pool = user_pool(prod_resources)
    assert pool["Properties"]["UserPoolTier"] == "PLUS"
    assert pool["Properties"]["UserPoolAddOns"] == {"AdvancedSecurityMode": "ENFORCED"}
    assert pool["DeletionPolicy"] == "Retain"
    assert pool["Properties"]["DeletionProtection"] == "ACTIVE"


def test_the_app_client_has_no_secret_and_password_and_srp_flows(template: Any, match: Any) -> None:
    template.has_resource_properties(
        "AWS::Cognito::UserPoolClient",
        {
            "GenerateSecret": False,
            "ExplicitAuthFlows": match.array_equals(
                ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
            ),
            "PreventUserExistenceErrors": "ENABLED",
            "EnableTokenRevocation": True,
            "AllowedOAuthFlowsUserPoolClient": False,
            "AccessTokenValidity": 60,
            "TokenValidityUnits": match.object_like({"AccessToken": "minutes"}),
        },
    )


def test_the_admin_group_belongs_to_the_pool(resources: dict[str, Any]) -> None:
    pool_id, _ = user_pool(resources)
    _, group = one(of_type(resources, "AWS::Cognito::UserPoolGroup"))
    assert group["Properties"]["GroupName"] == "admin"
    assert references(group["Properties"]["UserPoolId"]) == {pool_id}


@pytest.mark.parametrize("name", ["http", "ws"])
def test_token_verifying_functions_get_the_issuer_and_the_client(
    resources: dict[str, Any], name: str
) -> None:
    pool_id, _ = user_pool(resources)
    client_id, _ = one(of_type(resources, "AWS::Cognito::UserPoolClient"))
    _, props = function(resources, name)
    variables = props["Environment"]["Variables"]
    issuer = variables["AUTH_ISSUER"]["Fn::Join"][1]
    assert issuer[0] == "https://cognito-idp."
    assert issuer[1] == {"Ref": "AWS::Region"}
    assert issuer[2] == ".amazonaws.com/"
    assert issuer[3] == {"Ref": pool_id}
    assert variables["AUTH_AUDIENCE"] == {"Ref": client_id}
    assert "AUTH_JWKS_URL" not in variables, "the issuer's own /.well-known/jwks.json"


@pytest.mark.parametrize("name", ["worker", "stream"])
def test_functions_that_read_no_token_get_no_issuer(resources: dict[str, Any], name: str) -> None:
    _, props = function(resources, name)
    assert not {"AUTH_ISSUER", "AUTH_AUDIENCE"} & set(props["Environment"]["Variables"])


def test_outputs_name_the_pool_and_the_client(resources: dict[str, Any], template: Any) -> None:
    outputs = template.to_json()["Outputs"]
    pool_id, _ = user_pool(resources)
    client_id, _ = one(of_type(resources, "AWS::Cognito::UserPoolClient"))
    assert outputs["UserPoolId"]["Value"] == {"Ref": pool_id}
    assert outputs["UserPoolClientId"]["Value"] == {"Ref": client_id}


def test_the_isolated_vpc_reaches_the_user_pool_api_privately(template: Any, match: Any) -> None:
    """The HTTP function fetches the JWKS from cognito-idp.{region}.amazonaws.com."""
    template.has_resource_properties(
        "AWS::EC2::VPCEndpoint",
        {
            "VpcEndpointType": "Interface",
            "ServiceName": match.object_like(
                {"Fn::Join": ["", match.array_with([".cognito-idp"])]}
            ),
            "PrivateDnsEnabled": True,
        },
    )


def test_with_nat_the_keys_come_through_it(variant: Synth) -> None:
    endpoints = of_type(variant.template.to_json()["Resources"], "AWS::EC2::VPCEndpoint")
    assert not [e for e in endpoints.values() if "cognito-idp" in str(e["Properties"])]


def test_the_http_api_leaves_cors_to_the_app(resources: dict[str, Any]) -> None:
    """No CorsConfiguration: API Gateway would answer preflights itself; the $default
    route passes OPTIONS to the app, which answers from CORS_ORIGINS."""
    apis = [
        props["Properties"]
        for props in of_type(resources, "AWS::ApiGatewayV2::Api").values()
        if props["Properties"].get("ProtocolType") == "HTTP"
    ]
    assert [api.get("CorsConfiguration") for api in apis] == [None]
    routes = [
        route["Properties"]["RouteKey"]
        for route in of_type(resources, "AWS::ApiGatewayV2::Route").values()
        if route["Properties"]["RouteKey"] not in {"$connect", "$disconnect", "$default"}
        or route["Properties"].get("AuthorizationType") not in (None, "NONE")
    ]
    assert routes == [], "one $default route, no authorizer: OPTIONS reaches the app"


def test_cors_origins_reach_the_http_function_only_when_given(
    resources: dict[str, Any], variant: Synth
) -> None:
    _, plain = function(resources, "http")
    _, configured = function(variant.template.to_json()["Resources"], "http")
    assert "CORS_ORIGINS" not in plain["Environment"]["Variables"]
    cors = configured["Environment"]["Variables"]["CORS_ORIGINS"]
    assert cors == "https://app.example.com,http://localhost:5173"
