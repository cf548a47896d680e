"""The emulator (`python -m local aws`) runs the topology the stack deploys.

`local/aws/topology.py` restates the stack's functions, queue settings, tables and
WebSocket routes (importing the CDK there would start node); these tests hold it against
the synthesized template, so a change to infra/ that the emulator does not follow fails.
"""

from __future__ import annotations

from typing import Any

import pytest

from local.aws import topology
from tests.infra.helpers import of_type, one, references

SPECS = {spec.handler: spec for spec in topology.FUNCTIONS}


def functions(resources: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Properties of each app function (not CDK's helper functions), by handler string."""
    found = {}
    for props in (r["Properties"] for r in of_type(resources, "AWS::Lambda::Function").values()):
        if str(props.get("Handler", "")).startswith("handler"):
            found[props["Handler"]] = props
    return found


def test_the_same_functions_with_the_same_handler_strings(resources: dict[str, Any]) -> None:
    assert set(functions(resources)) == set(SPECS)


@pytest.mark.parametrize("handler", sorted(SPECS))
def test_each_function_gets_the_same_variable_names(
    resources: dict[str, Any], handler: str
) -> None:
    props = functions(resources)[handler]
    names = set(props.get("Environment", {}).get("Variables", {}))
    assert names == set(SPECS[handler].environment)


@pytest.mark.parametrize("handler", sorted(SPECS))
def test_each_function_has_the_same_timeout_and_memory(
    resources: dict[str, Any], handler: str
) -> None:
    props = functions(resources)[handler]
    assert props["Timeout"] == SPECS[handler].timeout_seconds
    assert props["MemorySize"] == SPECS[handler].memory_mb


def test_the_worker_event_source_matches(resources: dict[str, Any]) -> None:
    _, mapping = one(of_type(resources, "AWS::Lambda::EventSourceMapping"))
    props = mapping["Properties"]
    queue = topology.TASK_QUEUE
    assert props["BatchSize"] == queue.batch_size
    assert props["MaximumBatchingWindowInSeconds"] == queue.batching_window_seconds
    assert props["ScalingConfig"]["MaximumConcurrency"] == queue.max_concurrency
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_the_task_queue_and_its_redrive_match(resources: dict[str, Any]) -> None:
    _, mapping = one(of_type(resources, "AWS::Lambda::EventSourceMapping"))
    (queue_id,) = references(mapping["Properties"]["EventSourceArn"])
    props = resources[queue_id]["Properties"]
    queue = topology.TASK_QUEUE
    assert props["VisibilityTimeout"] == queue.visibility_timeout_seconds
    assert props["MaximumMessageSize"] == queue.max_message_bytes
    assert props["RedrivePolicy"]["maxReceiveCount"] == queue.max_receive_count
    (dlq_id,) = references(props["RedrivePolicy"]["deadLetterTargetArn"])
    assert resources[dlq_id]["Properties"]["MaximumMessageSize"] == queue.max_message_bytes


def test_the_tables_have_the_same_keys_indexes_and_ttl(resources: dict[str, Any]) -> None:
    tables = {
        (
            tuple((key["AttributeName"], key["KeyType"]) for key in props["KeySchema"]),
            tuple(sorted(a["AttributeName"] for a in props["AttributeDefinitions"])),
            tuple(
                (index["IndexName"], index["KeySchema"][0]["AttributeName"])
                for index in props.get("GlobalSecondaryIndexes", [])
            ),
            props.get("TimeToLiveSpecification", {}).get("AttributeName"),
        )
        for props in (r["Properties"] for r in of_type(resources, "AWS::DynamoDB::Table").values())
    }
    # String keys (moto_server.create_table makes exactly those), GSIs with ALL projected.
    assert tables == {
        (
            ((t.partition_key, "HASH"),) + (((t.sort_key, "RANGE"),) if t.sort_key else ()),
            tuple(sorted(a for a in (t.partition_key, t.sort_key, *(t.index or ())[1:]) if a)),
            (t.index,) if t.index else (),
            t.ttl_attribute,
        )
        for t in topology.TABLES
    }


def test_the_websocket_api_has_the_same_routes_and_stage(resources: dict[str, Any]) -> None:
    api_id, _ = one(
        {
            key: value
            for key, value in of_type(resources, "AWS::ApiGatewayV2::Api").items()
            if value["Properties"]["ProtocolType"] == "WEBSOCKET"
        }
    )

    def of_api(type_: str) -> list[dict[str, Any]]:
        found = of_type(resources, type_).values()
        return [r["Properties"] for r in found if references(r["Properties"]["ApiId"]) == {api_id}]

    routes = {props["RouteKey"] for props in of_api("AWS::ApiGatewayV2::Route")}
    assert routes == set(topology.WEBSOCKET_ROUTES)
    stages = {props["StageName"] for props in of_api("AWS::ApiGatewayV2::Stage")}
    assert stages == {topology.WEBSOCKET_STAGE}


def test_the_emulator_offers_the_stacks_stages_with_their_names() -> None:
    from infra.stages import STAGES

    assert tuple(STAGES) == topology.STAGES
    assert topology.DEFAULT_STAGE == "dev"
    for name, stage in STAGES.items():
        assert topology.stack_name(name) == stage.stack_name


def test_prod_names_its_websocket_stage_as_the_emulator_does(
    prod_resources: dict[str, Any],
) -> None:
    stages = {
        props["StageName"]
        for props in (
            r["Properties"] for r in of_type(prod_resources, "AWS::ApiGatewayV2::Stage").values()
        )
    }
    assert "prod" in stages  # the emulator's --stage prod serves /prod


def test_the_user_pool_client_and_group_match(resources: dict[str, Any]) -> None:
    spec = topology.USER_POOL
    _, pool = one(of_type(resources, "AWS::Cognito::UserPool"))
    props = pool["Properties"]
    assert props["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is not spec.self_sign_up
    assert tuple(props["UsernameAttributes"]) == spec.username_attributes
    policy = props["Policies"]["PasswordPolicy"]
    assert policy == {
        "MinimumLength": spec.password_policy.min_length,
        "RequireLowercase": spec.password_policy.require_lowercase,
        "RequireUppercase": spec.password_policy.require_uppercase,
        "RequireNumbers": spec.password_policy.require_digits,
        "RequireSymbols": spec.password_policy.require_symbols,
        "TemporaryPasswordValidityDays": spec.password_policy.temporary_password_days,
    }
    _, client = one(of_type(resources, "AWS::Cognito::UserPoolClient"))
    assert tuple(client["Properties"]["ExplicitAuthFlows"]) == spec.auth_flows
    assert client["Properties"]["GenerateSecret"] is False
    _, group = one(of_type(resources, "AWS::Cognito::UserPoolGroup"))
    assert group["Properties"]["GroupName"] == spec.admin_group
