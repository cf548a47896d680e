"""Outputs a user needs after `cdk deploy`: the URLs, the @connections endpoint and the two
queue names (the end-to-end tests read them from `cdk deploy --outputs-file`)."""

from __future__ import annotations

from typing import Any

from tests.infra.helpers import function, of_type, one, references


def test_outputs_name_every_endpoint_and_queue(template: Any) -> None:
    outputs = template.to_json()["Outputs"]
    assert {
        "HttpUrl",
        "WebSocketUrl",
        "WebSocketCallbackUrl",
        "ConnectionsTableName",
        "UsersTableName",
        "StreamUrl",
        "TaskQueueName",
        "TaskDlqName",
    } <= set(outputs)


def test_output_values_point_at_the_right_resources(template: Any) -> None:
    rendered = template.to_json()
    outputs, resources = rendered["Outputs"], rendered["Resources"]
    assert outputs["WebSocketUrl"]["Value"]["Fn::Join"][1][0] == "wss://"
    assert outputs["WebSocketUrl"]["Value"]["Fn::Join"][1][-1] == "/dev"
    assert outputs["HttpUrl"]["Value"]["Fn::Join"][1][0] == "https://"
    callback = outputs["WebSocketCallbackUrl"]["Value"]["Fn::Join"][1]
    assert callback[0] == "https://"
    assert callback[-1] == "/dev"
    _, http = function(resources, "http")
    # The /chat page the HTTP API serves connects to the WebSocket API, not to itself.
    chat_url = http["Environment"]["Variables"]["CHAT_WEBSOCKET_URL"]
    assert chat_url == outputs["WebSocketUrl"]["Value"]
    url_id, _ = one(of_type(resources, "AWS::Lambda::Url"))
    assert outputs["StreamUrl"]["Value"] == {"Fn::GetAtt": [url_id, "FunctionUrl"]}
    _, worker = function(resources, "worker")
    (dlq,) = references(worker["Environment"]["Variables"]["TASK_DLQ_URL"])
    assert outputs["TaskDlqName"]["Value"] == {"Fn::GetAtt": [dlq, "QueueName"]}
    (queue,) = references(outputs["TaskQueueName"]["Value"])
    assert resources[queue]["Type"] == "AWS::SQS::Queue"
    assert queue != dlq
