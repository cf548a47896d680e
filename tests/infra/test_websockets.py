"""WebSockets: $connect/$disconnect/$default each with its own integration, the stage named
after the deployment stage (`dev` here), the connections table, WS_CALLBACK_URL, and
@connections granted only to the senders."""

from __future__ import annotations

from typing import Any

from tests.infra.helpers import (
    actions,
    function,
    of_type,
    one,
    references,
    role_of,
    statements_of_role,
)


def _ws_api(resources: dict[str, Any]) -> str:
    key, _ = one(
        {
            k: v
            for k, v in of_type(resources, "AWS::ApiGatewayV2::Api").items()
            if v["Properties"]["ProtocolType"] == "WEBSOCKET"
        }
    )
    return key


def test_three_routes_each_with_its_own_lambda_integration(resources: dict[str, Any]) -> None:
    api = _ws_api(resources)
    ws_id, _ = function(resources, "ws")
    routes = {
        v["Properties"]["RouteKey"]: v["Properties"]
        for v in of_type(resources, "AWS::ApiGatewayV2::Route").values()
        if v["Properties"]["ApiId"] == {"Ref": api}
    }
    assert set(routes) == {"$connect", "$disconnect", "$default"}
    integrations = {references(route["Target"]).pop() for route in routes.values()}
    assert len(integrations) == 3, "one integration per route"
    for integration in integrations:
        props = resources[integration]["Properties"]
        assert props["IntegrationType"] == "AWS_PROXY"
        assert ws_id in references(props["IntegrationUri"])
    permissions = [
        v["Properties"]["SourceArn"]
        for v in of_type(resources, "AWS::Lambda::Permission").values()
        if v["Properties"]["FunctionName"] == {"Fn::GetAtt": [ws_id, "Arn"]}
    ]
    suffixes = sorted(arn["Fn::Join"][1][-1] for arn in permissions)
    assert suffixes == ["/*$connect", "/*$default", "/*$disconnect"]


def test_stage_is_named_after_the_deployment_stage_auto_deployed_and_throttled(
    resources: dict[str, Any],
) -> None:
    api = _ws_api(resources)
    (stage,) = [
        v["Properties"]
        for v in of_type(resources, "AWS::ApiGatewayV2::Stage").values()
        if v["Properties"]["ApiId"] == {"Ref": api}
    ]
    assert stage["StageName"] == "dev"
    assert stage["AutoDeploy"] is True
    assert stage["DefaultRouteSettings"]["ThrottlingRateLimit"] > 0


def test_connections_table_is_on_demand_with_ttl(template: Any) -> None:
    """Point-in-time recovery is the stage's choice (tests/infra/test_stages.py)."""
    template.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "KeySchema": [{"AttributeName": "connectionId", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
            "TimeToLiveSpecification": {"AttributeName": "ttl", "Enabled": True},
        },
    )


def test_connections_table_grants_name_what_the_registry_calls(
    resources: dict[str, Any],
) -> None:
    (table_id,) = [
        key
        for key, value in of_type(resources, "AWS::DynamoDB::Table").items()
        if value["Properties"]["KeySchema"]
        == [{"AttributeName": "connectionId", "KeyType": "HASH"}]
    ]
    for name in ("ws", "worker"):
        _, props = function(resources, name)
        granted = sorted(
            action
            for statement in statements_of_role(resources, role_of(props))
            if table_id in str(statement["Resource"])
            for action in actions(statement)
        )
        assert granted == [
            "dynamodb:DeleteItem",
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:Scan",
            "dynamodb:UpdateItem",
        ]


def _subscriptions_table(resources: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    (found,) = [
        (key, value["Properties"])
        for key, value in of_type(resources, "AWS::DynamoDB::Table").items()
        if len(value["Properties"]["KeySchema"]) == 2
        and value["Properties"]["KeySchema"][0]["AttributeName"] == "connectionId"
    ]
    return found


def test_subscriptions_table_is_keyed_for_a_query_by_topic(resources: dict[str, Any]) -> None:
    _, props = _subscriptions_table(resources)
    assert props["KeySchema"] == [
        {"AttributeName": "connectionId", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert props["GlobalSecondaryIndexes"] == [
        {
            "IndexName": "byTopic",
            "KeySchema": [{"AttributeName": "topic", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"},
        }
    ]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}


def test_subscriptions_grants_name_what_the_store_calls(resources: dict[str, Any]) -> None:
    table_id, _ = _subscriptions_table(resources)
    expected = {
        "ws": [
            "dynamodb:BatchWriteItem",
            "dynamodb:DeleteItem",
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:Query",
            "dynamodb:UpdateItem",
        ],
        "worker": ["dynamodb:BatchWriteItem", "dynamodb:Query"],
        "http": [],
        "stream": [],
    }
    for name, granted_actions in expected.items():
        _, props = function(resources, name)
        statements = [
            statement
            for statement in statements_of_role(resources, role_of(props))
            if table_id in str(statement["Resource"])
        ]
        assert sorted(a for s in statements for a in actions(s)) == granted_actions, name
        for statement in statements:  # the table and its index
            assert "/index/*" in str(statement["Resource"])
        variables = props.get("Environment", {}).get("Variables", {})
        assert ("SUBSCRIPTIONS_TABLE" in variables) == bool(granted_actions), name


def test_callback_url_is_the_stage_management_endpoint(resources: dict[str, Any]) -> None:
    api = _ws_api(resources)
    for name in ("ws", "worker"):
        _, props = function(resources, name)
        url = props["Environment"]["Variables"]["WS_CALLBACK_URL"]["Fn::Join"][1]
        assert url[0] == "https://"
        assert {"Ref": api} in url
        assert url[-1].endswith("/dev")


def test_manage_connections_only_for_senders_outside_the_vpc(resources: dict[str, Any]) -> None:
    granted = set()
    for name in ("http", "worker", "ws", "stream"):
        _, props = function(resources, name)
        for statement in statements_of_role(resources, role_of(props)):
            if "execute-api:ManageConnections" in actions(statement):
                granted.add(name)
                resource = statement["Resource"]["Fn::Join"][1]
                assert {"Ref": _ws_api(resources)} in resource
                assert resource[-1] == "/dev/*/@connections/*"
                assert "VpcConfig" not in props
    assert granted == {"worker", "ws"}
