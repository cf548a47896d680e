"""The users table: on demand, point-in-time recovery, one string key `pk`; kept on
`cdk destroy` unless `-c destroy_users=true`; read and written by the HTTP function alone,
which gets USERS_TABLE and the cursor key (a generated secret)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.helpers import Synth, actions, function, of_type, role_of, statements_of_role

USERS_KEY = [{"AttributeName": "pk", "KeyType": "HASH"}]


def users_table(resources: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    (found,) = [
        (key, value)
        for key, value in of_type(resources, "AWS::DynamoDB::Table").items()
        if value["Properties"]["KeySchema"] == USERS_KEY
    ]
    return found


def test_the_table_is_on_demand_with_recovery_and_one_string_key(template: Any) -> None:
    template.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "KeySchema": USERS_KEY,
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        },
    )


def test_the_table_is_kept_on_destroy_by_default(resources: dict[str, Any]) -> None:
    _, table = users_table(resources)
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"
    assert table["Properties"]["DeletionProtectionEnabled"] is True


def test_destroy_users_lets_cdk_destroy_delete_it(tmp_path: Any) -> None:
    from aws_cdk.assertions import Template

    from infra.app import build_app

    _, stack = build_app(context={"bundle": "stub", "destroy_users": "true"}, outdir=str(tmp_path))
    resources = Template.from_stack(stack).to_json()["Resources"]
    _, table = users_table(resources)
    assert table["DeletionPolicy"] == "Delete"
    assert table["Properties"].get("DeletionProtectionEnabled") is False


def test_only_the_http_function_may_use_the_table(resources: dict[str, Any]) -> None:
    table_id, _ = users_table(resources)
    granted = {}
    for name in ("http", "worker", "ws", "stream"):
        _, props = function(resources, name)
        granted[name] = sorted(
            action
            for statement in statements_of_role(resources, role_of(props))
            if table_id in str(statement["Resource"])
            for action in actions(statement)
        )
    assert granted == {
        "http": [
            "dynamodb:DeleteItem",
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:Scan",
            "dynamodb:UpdateItem",
        ],
        "worker": [],
        "ws": [],
        "stream": [],
    }


def test_the_http_function_gets_the_table_and_the_cursor_secret(
    resources: dict[str, Any], match: Any
) -> None:
    table_id, _ = users_table(resources)
    (secret_id,) = of_type(resources, "AWS::SecretsManager::Secret")
    _, http = function(resources, "http")
    env = http["Environment"]["Variables"]
    assert env["USERS_TABLE"] == {"Ref": table_id}
    # A dynamic reference: CloudFormation resolves it at deploy, the template holds no key.
    assert env["CURSOR_SECRET"] == {
        "Fn::Join": ["", ["{{resolve:secretsmanager:", {"Ref": secret_id}, ":SecretString:::}}"]]
    }
    for name in ("worker", "ws", "stream"):
        _, props = function(resources, name)
        variables = props.get("Environment", {}).get("Variables", {})
        assert not {"USERS_TABLE", "CURSOR_SECRET"} & set(variables)


def test_the_cursor_secret_is_generated_long_enough(template: Any) -> None:
    template.has_resource_properties(
        "AWS::SecretsManager::Secret",
        {"GenerateSecretString": {"PasswordLength": 64, "ExcludePunctuation": True}},
    )


def test_the_table_name_is_an_output(stub: Synth) -> None:
    outputs = stub.template.to_json()["Outputs"]
    table_id, _ = users_table(stub.template.to_json()["Resources"])
    assert outputs["UsersTableName"]["Value"] == {"Ref": table_id}


@pytest.mark.parametrize("flag", ["maybe", "2"])
def test_a_bad_destroy_users_flag_is_named(flag: str) -> None:
    from aws_cdk import App

    from infra.config import ConfigError, InfraConfig

    with pytest.raises(ConfigError, match=f"destroy_users='{flag}'"):
        InfraConfig.from_node(App(context={"destroy_users": flag}).node)
