"""Stages: `dev` deletes everything on `cdk destroy`, `prod` keeps tables, queues and logs
(with recovery, deletion protection and termination protection); names carry the stage;
reserved concurrency and the stream URL's CORS; the flow-logs role's confused-deputy guard."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.helpers import Synth, function, of_type

KEPT_TYPES = ("AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::Logs::LogGroup")


def test_stack_names_carry_the_stage(stub: Synth, prod: Synth) -> None:
    assert stub.stack.stack_name == "FastapiServerless-dev"
    assert prod.stack.stack_name == "FastapiServerless-prod"


@pytest.mark.parametrize("type_", KEPT_TYPES)
def test_dev_deletes_everything_on_destroy(resources: dict[str, Any], type_: str) -> None:
    found = of_type(resources, type_)
    assert found
    assert {r.get("DeletionPolicy", "Delete") for r in found.values()} == {"Delete"}


@pytest.mark.parametrize("type_", KEPT_TYPES)
def test_prod_keeps_tables_queues_and_logs(prod_resources: dict[str, Any], type_: str) -> None:
    found = of_type(prod_resources, type_)
    assert found
    assert {r["DeletionPolicy"] for r in found.values()} == {"Retain"}
    assert {r["UpdateReplacePolicy"] for r in found.values()} == {"Retain"}


def test_prod_tables_have_recovery_and_deletion_protection(
    prod_resources: dict[str, Any], resources: dict[str, Any]
) -> None:
    for table in of_type(prod_resources, "AWS::DynamoDB::Table").values():
        props = table["Properties"]
        assert props["DeletionProtectionEnabled"] is True
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    for table in of_type(resources, "AWS::DynamoDB::Table").values():
        assert table["Properties"]["DeletionProtectionEnabled"] is False


def test_prod_keeps_logs_a_year_and_dev_two_weeks(
    prod_resources: dict[str, Any], resources: dict[str, Any]
) -> None:
    days = {
        r["Properties"]["RetentionInDays"]
        for r in of_type(prod_resources, "AWS::Logs::LogGroup").values()
    }
    assert days == {365}
    days = {
        r["Properties"]["RetentionInDays"]
        for r in of_type(resources, "AWS::Logs::LogGroup").values()
    }
    assert days == {14}


def test_only_prod_has_termination_protection(stub: Synth, prod: Synth) -> None:
    assert prod.stack.termination_protection is True
    assert stub.stack.termination_protection is False


def test_fixed_names_carry_the_stage(
    resources: dict[str, Any], prod_resources: dict[str, Any]
) -> None:
    for stage, found in (("dev", resources), ("prod", prod_resources)):
        (cache,) = of_type(found, "AWS::ElastiCache::ServerlessCache").values()
        assert cache["Properties"]["ServerlessCacheName"] == f"fastapiserverless-{stage}-cache"
        stages = {
            s["Properties"]["StageName"]
            for s in of_type(found, "AWS::ApiGatewayV2::Stage").values()
        }
        assert stages == {"$default", stage}


def test_reserved_concurrency_per_stage(
    resources: dict[str, Any], prod_resources: dict[str, Any], variant: Synth
) -> None:
    from infra.stages import DEV, PROD

    _, http = function(prod_resources, "http")
    assert http["ReservedConcurrentExecutions"] == PROD.http_reserved_concurrency
    _, stream = function(prod_resources, "stream")
    assert stream["ReservedConcurrentExecutions"] == PROD.stream_reserved_concurrency
    _, stream = function(resources, "stream")
    assert stream["ReservedConcurrentExecutions"] == DEV.stream_reserved_concurrency
    # -c reserved_concurrency=false: none at all (an account at the default quota).
    for name in ("http", "stream"):
        _, props = function(variant.template.to_json()["Resources"], name)
        assert "ReservedConcurrentExecutions" not in props


def test_the_worker_cannot_take_the_http_functions_capacity(
    prod_resources: dict[str, Any],
) -> None:
    from infra.stages import PROD

    (mapping,) = of_type(prod_resources, "AWS::Lambda::EventSourceMapping").values()
    ceiling = mapping["Properties"]["ScalingConfig"]["MaximumConcurrency"]
    assert PROD.http_reserved_concurrency is not None
    assert ceiling < PROD.http_reserved_concurrency


def test_stream_url_allows_only_the_stacks_origins(prod_resources: dict[str, Any]) -> None:
    (url,) = of_type(prod_resources, "AWS::Lambda::Url").values()
    cors = url["Properties"]["Cors"]
    assert cors["AllowMethods"] == ["GET", "HEAD"]
    assert "*" not in str(cors["AllowOrigins"])
    assert "https://api.example.com" in cors["AllowOrigins"]
    assert len(cors["AllowOrigins"]) == 2  # the HTTP API's endpoint and its domain
    assert cors["MaxAge"] == 3600


def test_flow_logs_role_is_bound_to_this_account(resources: dict[str, Any]) -> None:
    (flow_log,) = of_type(resources, "AWS::EC2::FlowLog").values()
    role_id = flow_log["Properties"]["DeliverLogsPermissionArn"]["Fn::GetAtt"][0]
    (statement,) = resources[role_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert statement["Condition"]["StringEquals"] == {
        "aws:SourceAccount": {"Ref": "AWS::AccountId"}
    }
    assert "vpc-flow-log/*" in str(statement["Condition"]["ArnLike"]["aws:SourceArn"])


def test_custom_domains_map_each_api_and_name_their_urls(prod: Synth) -> None:
    rendered = prod.template.to_json()
    domains = of_type(rendered["Resources"], "AWS::ApiGatewayV2::DomainName")
    names = {d["Properties"]["DomainName"] for d in domains.values()}
    assert names == {"api.example.com", "ws.example.com"}
    for domain in domains.values():
        (config,) = domain["Properties"]["DomainNameConfigurations"]
        assert config["EndpointType"] == "REGIONAL"
        assert config["SecurityPolicy"] == "TLS_1_2"
    assert len(of_type(rendered["Resources"], "AWS::ApiGatewayV2::ApiMapping")) == 2
    outputs = rendered["Outputs"]
    assert outputs["HttpDomainUrl"]["Value"] == "https://api.example.com/"
    assert outputs["WebSocketDomainUrl"]["Value"] == "wss://ws.example.com"
    assert {"HttpDomainTarget", "WebSocketDomainTarget"} <= set(outputs)


def test_no_domain_no_domain_outputs(template: Any) -> None:
    outputs = template.to_json()["Outputs"]
    assert not {name for name in outputs if "Domain" in name}
