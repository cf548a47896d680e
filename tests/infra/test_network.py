"""Network: two AZs of private isolated subnets, a DynamoDB gateway endpoint, SQS and
Cognito interface endpoints, and one NAT gateway only when `-c nat=true` asks for it."""

from __future__ import annotations

from typing import Any

from tests.infra.helpers import Synth, function, of_type, references


def test_vpc_has_two_isolated_subnets_and_no_internet_path(resources: dict[str, Any]) -> None:
    subnets = of_type(resources, "AWS::EC2::Subnet")
    assert len(subnets) == 2
    zones = [props["Properties"]["AvailabilityZone"] for props in subnets.values()]
    assert len({str(zone) for zone in zones}) == 2
    assert all(not props["Properties"]["MapPublicIpOnLaunch"] for props in subnets.values())
    assert not of_type(resources, "AWS::EC2::InternetGateway")
    assert not of_type(resources, "AWS::EC2::NatGateway")
    routes = of_type(resources, "AWS::EC2::Route")
    assert not routes, "isolated subnets must have no default route"


def test_dynamodb_gateway_endpoint_serves_the_private_subnets(template: Any, match: Any) -> None:
    template.has_resource_properties(
        "AWS::EC2::VPCEndpoint",
        {
            "VpcEndpointType": "Gateway",
            "ServiceName": match.object_like({"Fn::Join": ["", match.array_with([".dynamodb"])]}),
            "RouteTableIds": match.any_value(),
        },
    )


def test_sqs_interface_endpoint_has_private_dns(template: Any, match: Any) -> None:
    template.has_resource_properties(
        "AWS::EC2::VPCEndpoint",
        {
            "VpcEndpointType": "Interface",
            "ServiceName": match.object_like({"Fn::Join": ["", match.array_with([".sqs"])]}),
            "PrivateDnsEnabled": True,
        },
    )


def test_interface_endpoints_admit_only_the_http_function(resources: dict[str, Any]) -> None:
    interface = [
        value["Properties"]
        for value in of_type(resources, "AWS::EC2::VPCEndpoint").values()
        if value["Properties"]["VpcEndpointType"] == "Interface"
    ]
    assert len(interface) == 2, "SQS, and Cognito's user pool API (the JWKS)"
    (endpoint_sg,) = set.union(*(references(e["SecurityGroupIds"]) for e in interface))
    _, http = function(resources, "http")
    (http_sg,) = references(http["VpcConfig"]["SecurityGroupIds"])
    ingress = [
        rule["Properties"]
        for rule in of_type(resources, "AWS::EC2::SecurityGroupIngress").values()
        if references(rule["Properties"]["GroupId"]) == {endpoint_sg}
    ]
    assert [(r["FromPort"], r["ToPort"]) for r in ingress] == [(443, 443)]
    assert references(ingress[0]["SourceSecurityGroupId"]) == {http_sg}
    assert "SecurityGroupIngress" not in resources[endpoint_sg]["Properties"]


def test_rejected_traffic_is_logged(template: Any) -> None:
    template.has_resource_properties(
        "AWS::EC2::FlowLog", {"ResourceType": "VPC", "TrafficType": "REJECT"}
    )


def test_nat_flag_adds_exactly_one_nat_gateway(variant: Synth) -> None:
    resources = variant.template.to_json()["Resources"]
    assert len(of_type(resources, "AWS::EC2::NatGateway")) == 1
    assert len(of_type(resources, "AWS::EC2::InternetGateway")) == 1
    _, http = function(resources, "http")
    private = references(http["VpcConfig"]["SubnetIds"])
    public = {
        key
        for key, value in of_type(resources, "AWS::EC2::Subnet").items()
        if value["Properties"]["MapPublicIpOnLaunch"]
    }
    assert len(private) == 2
    assert private.isdisjoint(public), "the function must stay in the private subnets"
