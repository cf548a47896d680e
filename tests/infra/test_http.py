"""HTTP: an HTTP API whose default route reaches the `live` alias of the HTTP function (in
the VPC, with SnapStart on its published versions), with JSON access logs and default
throttling on the `$default` stage."""

from __future__ import annotations

import json
from typing import Any

from tests.infra.helpers import function, of_type, one, references


def _http_api(resources: dict[str, Any]) -> str:
    key, _ = one(
        {
            k: v
            for k, v in of_type(resources, "AWS::ApiGatewayV2::Api").items()
            if v["Properties"]["ProtocolType"] == "HTTP"
        }
    )
    return key


def _live_alias(resources: dict[str, Any], http_id: str) -> str:
    key, alias = one(
        {
            k: v["Properties"]
            for k, v in of_type(resources, "AWS::Lambda::Alias").items()
            if http_id in references(v["Properties"]["FunctionName"])
        }
    )
    assert alias["Name"] == "live"
    return key


def test_default_route_proxies_to_the_live_alias(resources: dict[str, Any]) -> None:
    api = _http_api(resources)
    http_id, _ = function(resources, "http")
    (route,) = [
        v["Properties"]
        for v in of_type(resources, "AWS::ApiGatewayV2::Route").values()
        if v["Properties"]["ApiId"] == {"Ref": api}
    ]
    assert route["RouteKey"] == "$default"
    integration = resources[references(route["Target"]).pop()]["Properties"]
    assert integration["IntegrationType"] == "AWS_PROXY"
    assert integration["PayloadFormatVersion"] == "2.0"
    assert references(integration["IntegrationUri"]) == {_live_alias(resources, http_id)}
    # API Gateway may invoke the alias (a permission on the bare function would not do).
    permissions = [
        v["Properties"]
        for v in of_type(resources, "AWS::Lambda::Permission").values()
        if v["Properties"]["Principal"] == "apigateway.amazonaws.com"
        and references(v["Properties"]["FunctionName"]) == {_live_alias(resources, http_id)}
    ]
    assert permissions


def test_http_function_snapshots_its_published_versions(resources: dict[str, Any]) -> None:
    http_id, http = function(resources, "http")
    assert http["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    alias = resources[_live_alias(resources, http_id)]["Properties"]
    (version,) = references(alias["FunctionVersion"])
    assert resources[version]["Type"] == "AWS::Lambda::Version"
    assert references(resources[version]["Properties"]["FunctionName"]) == {http_id}
    # A replaced version (and the snapshot billed with it) is deleted, not retained.
    assert resources[version]["DeletionPolicy"] == "Delete"
    # The other functions take no snapshot: see docs/deploying.md#snapstart.
    for name in ("worker", "ws", "stream"):
        assert "SnapStart" not in function(resources, name)[1]


def test_default_stage_logs_access_and_throttles(resources: dict[str, Any]) -> None:
    api = _http_api(resources)
    (stage,) = [
        v["Properties"]
        for v in of_type(resources, "AWS::ApiGatewayV2::Stage").values()
        if v["Properties"]["ApiId"] == {"Ref": api}
    ]
    assert stage["StageName"] == "$default"
    assert stage["AutoDeploy"] is True
    throttle = stage["DefaultRouteSettings"]
    assert throttle["ThrottlingRateLimit"] > 0
    assert throttle["ThrottlingBurstLimit"] > 0
    log_group = references(stage["AccessLogSettings"]["DestinationArn"]).pop()
    assert resources[log_group]["Type"] == "AWS::Logs::LogGroup"
    fields = json.loads(stage["AccessLogSettings"]["Format"])
    assert fields["requestId"] == "$context.requestId"
    assert fields["ip"] == "$context.identity.sourceIp"


def test_http_function_runs_in_the_private_subnets(resources: dict[str, Any]) -> None:
    _, http = function(resources, "http")
    subnets = references(http["VpcConfig"]["SubnetIds"])
    assert subnets == set(of_type(resources, "AWS::EC2::Subnet"))
    assert len(http["VpcConfig"]["SecurityGroupIds"]) == 1
