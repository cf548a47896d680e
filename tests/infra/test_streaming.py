"""Streaming: the app under uvicorn behind Lambda Web Adapter, a Function URL in
RESPONSE_STREAM mode, outside the VPC; public by default, AWS_IAM on request."""

from __future__ import annotations

import re
from typing import Any

from tests.infra.helpers import Synth, function, of_type, one

LAYER = re.compile(r":753240598075:layer:LambdaAdapterLayerArm64:\d+$")


def test_stream_function_runs_the_bootstrap_under_the_web_adapter(
    resources: dict[str, Any],
) -> None:
    _, stream = function(resources, "stream")
    env = stream["Environment"]["Variables"]
    assert env["AWS_LAMBDA_EXEC_WRAPPER"] == "/opt/bootstrap"
    assert env["AWS_LWA_INVOKE_MODE"] == "response_stream"
    assert env["AWS_LWA_PORT"] == env["PORT"]
    (layer,) = stream["Layers"]
    assert LAYER.search(layer["Fn::Join"][1][-1])
    assert stream["Architectures"] == ["arm64"]
    assert "VpcConfig" not in stream


def test_function_url_streams_and_is_public_by_default(resources: dict[str, Any]) -> None:
    stream_id, _ = function(resources, "stream")
    _, url = one(of_type(resources, "AWS::Lambda::Url"))
    assert url["Properties"]["InvokeMode"] == "RESPONSE_STREAM"
    assert url["Properties"]["AuthType"] == "NONE"
    assert url["Properties"]["TargetFunctionArn"] == {"Fn::GetAtt": [stream_id, "Arn"]}
    public = [
        v["Properties"]
        for v in of_type(resources, "AWS::Lambda::Permission").values()
        if v["Properties"]["Principal"] == "*"
    ]
    # Since October 2025 a public URL needs both grants, or every request gets 403.
    assert {p["Action"] for p in public} == {"lambda:InvokeFunctionUrl", "lambda:InvokeFunction"}
    assert all(p["FunctionName"] == {"Fn::GetAtt": [stream_id, "Arn"]} for p in public)
    invoke = next(p for p in public if p["Action"] == "lambda:InvokeFunction")
    assert invoke["InvokedViaFunctionUrl"] is True


def test_stream_auth_iam_closes_the_url_to_anonymous_callers(variant: Synth) -> None:
    resources = variant.template.to_json()["Resources"]
    _, url = one(of_type(resources, "AWS::Lambda::Url"))
    assert url["Properties"]["AuthType"] == "AWS_IAM"
    assert url["Properties"]["InvokeMode"] == "RESPONSE_STREAM"
    principals = {
        v["Properties"]["Principal"] for v in of_type(resources, "AWS::Lambda::Permission").values()
    }
    assert "*" not in principals


def test_readiness_check_asks_the_stream_app_for_a_2xx(resources: dict[str, Any]) -> None:
    """The adapter polls this path before the first request: the stream app must answer
    it with a status the adapter counts as healthy (a 404 would not be)."""
    from fastapi.testclient import TestClient

    from handler.app import create_stream_app
    from handler.settings import Settings

    _, stream = function(resources, "stream")
    env = stream["Environment"]["Variables"]
    low, high = (int(code) for code in env["AWS_LWA_READINESS_CHECK_HEALTHY_STATUS"].split("-"))
    assert (low, high) == (200, 299)
    with TestClient(create_stream_app(Settings(environment="test"))) as client:
        assert low <= client.get(env["AWS_LWA_READINESS_CHECK_PATH"]).status_code <= high
        assert client.get("/no-such-path").status_code == 404  # outside the range
