"""WebSockets: $connect/$disconnect/$default each with its own integration, stage `prod`,
the connections table, WS_CALLBACK_URL, and @connections granted only to the senders."""

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


def test_stage_is_prod_auto_deployed_and_throttled(resources: dict[str, Any]) -> None:
    api = _ws_api(resources)
    (stage,) = [
        v["Properties"]
        for v in of_type(resources, "AWS::ApiGatewayV2::Stage").values()
        if v["Properties"]["ApiId"] == {"Ref": api}
    ]
    assert stage["StageName"] == "prod"
    assert stage["AutoDeploy"] is True
    assert stage["DefaultRouteSettings"]["ThrottlingRateLimit"] > 0


def test_connections_table_is_on_demand_with_ttl_and_pitr(template: Any) -> None:
    template.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "KeySchema": [{"AttributeName": "connectionId", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
            "TimeToLiveSpecification": {"AttributeName": "ttl", "Enabled": True},
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        },
    )


def test_callback_url_is_the_prod_stage_management_endpoint(resources: dict[str, Any]) -> None:
    api = _ws_api(resources)
    for name in ("ws", "worker"):
        _, props = function(resources, name)
        url = props["Environment"]["Variables"]["WS_CALLBACK_URL"]["Fn::Join"][1]
        assert url[0] == "https://"
        assert {"Ref": api} in url
        assert url[-1].endswith("/prod")


def test_manage_connections_only_for_senders_outside_the_vpc(resources: dict[str, Any]) -> None:
    granted = set()
    for name in ("http", "worker", "ws", "stream"):
        _, props = function(resources, name)
        for statement in statements_of_role(resources, role_of(props)):
            if "execute-api:ManageConnections" in actions(statement):
                granted.add(name)
                resource = statement["Resource"]["Fn::Join"][1]
                assert {"Ref": _ws_api(resources)} in resource
                assert resource[-1] == "/prod/*/@connections/*"
                assert "VpcConfig" not in props
    assert granted == {"worker", "ws"}
