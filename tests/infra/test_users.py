"""The users table: on demand, one string key `pk`, a fixed logical id (for `cdk import`);
in prod kept on `cdk destroy` with recovery and deletion protection, in dev deleted; read
and written by the HTTP function alone, which gets USERS_TABLE and the cursor key."""

from __future__ import annotations

from typing import Any

from tests.infra.helpers import Synth, actions, function, of_type, role_of, statements_of_role

USERS_KEY = [{"AttributeName": "pk", "KeyType": "HASH"}]


def users_table(resources: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """By its fixed logical id: another app table may share the key `pk`."""
    tables = of_type(resources, "AWS::DynamoDB::Table")
    return "UsersTable", tables["UsersTable"]


def test_the_table_is_on_demand_with_one_string_key(template: Any) -> None:
    template.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "KeySchema": USERS_KEY,
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
        },
    )


def test_prod_keeps_the_table_with_recovery_and_deletion_protection(
    prod_resources: dict[str, Any],
) -> None:
    key, table = users_table(prod_resources)
    assert key == "UsersTable"  # the name docs/deploying.md's `cdk import` mapping uses
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"
    assert table["Properties"]["DeletionProtectionEnabled"] is True
    recovery = table["Properties"]["PointInTimeRecoverySpecification"]
    assert recovery == {"PointInTimeRecoveryEnabled": True}


def test_dev_deletes_the_table_on_destroy(resources: dict[str, Any]) -> None:
    _, table = users_table(resources)
    assert table["DeletionPolicy"] == "Delete"
    assert table["Properties"]["DeletionProtectionEnabled"] is False


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
