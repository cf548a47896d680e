"""Every function: Python 3.14 on arm64, active tracing, a log group with retention, an
environment of Settings names only, and a role with no `*` action and no managed policy."""

from __future__ import annotations

from typing import Any

import pytest

from handler.settings import Settings
from tests.infra.helpers import (
    HANDLERS,
    actions,
    function,
    of_type,
    references,
    role_of,
    statements_of_role,
)

# Owned by Lambda Web Adapter and the Lambda runtime, not by the app: the only names a
# function may carry that are not Settings fields.
ADAPTER_PREFIX = "AWS_"
# IAM has no resource-level permissions for these, so "*" is the only possible resource.
UNSCOPABLE = {
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
}


def test_every_contract_handler_has_one_function(resources: dict[str, Any]) -> None:
    handlers = sorted(
        v["Properties"]["Handler"] for v in of_type(resources, "AWS::Lambda::Function").values()
    )
    assert handlers == sorted(HANDLERS.values())


@pytest.mark.parametrize("name", sorted(HANDLERS))
def test_function_runtime_tracing_and_logs(resources: dict[str, Any], name: str) -> None:
    _, props = function(resources, name)
    assert props["Runtime"] == "python3.14"
    assert props["Architectures"] == ["arm64"]
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert 128 <= props["MemorySize"] <= 2048
    assert 1 <= props["Timeout"] <= 900
    (log_group,) = references(props["LoggingConfig"]["LogGroup"])
    # The dev stage's retention (infra.stages; test_stages checks prod's).
    assert resources[log_group]["Properties"]["RetentionInDays"] == 14


@pytest.mark.parametrize("name", sorted(HANDLERS))
def test_environment_names_are_settings_fields(resources: dict[str, Any], name: str) -> None:
    _, props = function(resources, name)
    fields = {field.upper() for field in Settings.model_fields}
    names = set(props["Environment"]["Variables"])
    app_names = {n for n in names if not n.startswith(ADAPTER_PREFIX)}
    assert app_names <= fields, f"not Settings fields: {sorted(app_names - fields)}"
    assert props["Environment"]["Variables"]["ENVIRONMENT"] == "production"


def test_only_the_stream_function_carries_adapter_variables(resources: dict[str, Any]) -> None:
    for name in ("http", "worker", "ws"):
        _, props = function(resources, name)
        assert not [n for n in props["Environment"]["Variables"] if n.startswith("AWS_")]


def test_no_iam_statement_grants_a_wildcard_action(resources: dict[str, Any]) -> None:
    for policy in of_type(resources, "AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            assert not [a for a in actions(statement) if "*" in a], statement


def test_star_resources_only_for_actions_iam_cannot_scope(resources: dict[str, Any]) -> None:
    for policy in of_type(resources, "AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            resource = statement["Resource"]
            if resource == "*" or (isinstance(resource, list) and "*" in resource):
                assert set(actions(statement)) <= UNSCOPABLE, statement


def test_roles_have_no_managed_policies(resources: dict[str, Any]) -> None:
    for role in of_type(resources, "AWS::IAM::Role").values():
        assert "ManagedPolicyArns" not in role["Properties"]


def test_each_function_has_its_own_role(resources: dict[str, Any]) -> None:
    roles = [role_of(function(resources, name)[1]) for name in HANDLERS]
    assert len(set(roles)) == len(roles)


def test_eni_permissions_only_for_the_vpc_function(resources: dict[str, Any]) -> None:
    for name in HANDLERS:
        _, props = function(resources, name)
        granted = {a for s in statements_of_role(resources, role_of(props)) for a in actions(s)}
        assert ("ec2:CreateNetworkInterface" in granted) == ("VpcConfig" in props), name
