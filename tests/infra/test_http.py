"""HTTP: an HTTP API whose default route reaches the HTTP function (in the VPC), with JSON
access logs and default throttling on the `$default` stage."""

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


def test_default_route_proxies_to_the_http_function(resources: dict[str, Any]) -> None:
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
    assert http_id in references(integration["IntegrationUri"])


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
