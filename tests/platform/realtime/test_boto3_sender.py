"""The boto3 @connections sender against botocore's Stubber: API Gateway's answers that
moto never gives become our own errors (`ConnectionGone`, `SendFailed`)."""

from __future__ import annotations

import asyncio

import boto3
import pytest
from botocore.stub import Stubber

from handler.platform.realtime import ConnectionGone, SendFailed
from tests.support.boto3_sender import ManagementApiSender

REGION = "eu-west-1"
CALLBACK_URL = f"https://abc123defg.execute-api.{REGION}.amazonaws.com/prod"


def stubbed_sender() -> tuple[ManagementApiSender, Stubber]:
    client = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=CALLBACK_URL,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    return ManagementApiSender(CALLBACK_URL, client=client), Stubber(client)


def test_gone_exception_becomes_connection_gone() -> None:
    sender, stubber = stubbed_sender()
    stubber.add_client_error(
        "post_to_connection",
        service_error_code="GoneException",
        http_status_code=410,
        expected_params={"ConnectionId": "c1", "Data": b"hi"},
    )
    with stubber, pytest.raises(ConnectionGone) as caught:
        asyncio.run(sender.send("c1", "hi"))
    assert caught.value.connection_id == "c1"


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("LimitExceededException", 429),
        ("ForbiddenException", 403),
        ("PayloadTooLargeException", 413),
    ],
)
def test_other_api_errors_become_send_failed(code: str, status: int) -> None:
    sender, stubber = stubbed_sender()
    stubber.add_client_error("post_to_connection", service_error_code=code, http_status_code=status)
    with stubber, pytest.raises(SendFailed) as caught:
        asyncio.run(sender.send("c1", "hi"))
    assert caught.value.reason == code


def test_unreachable_endpoint_becomes_send_failed() -> None:
    # A closed loopback port: botocore's EndpointConnectionError must not escape.
    sender = ManagementApiSender("http://127.0.0.1:9", timeout=0.5, region_name=REGION)
    with pytest.raises(SendFailed):
        asyncio.run(sender.send("c1", "hi"))
