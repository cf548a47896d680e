"""The two @connections senders against a real loopback API: the production one
(SigV4 + urllib3) must send what boto3's reference sender sends, and map answers alike."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from botocore.credentials import Credentials, RefreshableCredentials

from handler.platform.realtime import ConnectionGone, Sender, SendFailed
from handler.platform.realtime.senders.signed_http import SignedHttpSender
from tests.support.boto3_sender import ManagementApiSender
from tests.support.connections_api import ConnectionsApi
from tests.support.servers import free_port

REGION = "eu-west-1"
KEYS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session-token")
SenderFactory = Callable[[str], Sender]


def boto3_sender(url: str, timeout: float = 5.0) -> Sender:
    return ManagementApiSender(url, region_name=REGION, timeout=timeout, concurrency=4)


def signed_sender(url: str, timeout: float = 5.0) -> Sender:
    return SignedHttpSender(url, region_name=REGION, timeout=timeout, concurrency=4)


SENDERS = [pytest.param(boto3_sender, id="boto3"), pytest.param(signed_sender, id="signed")]


@pytest.fixture
def api(connections_api: ConnectionsApi, monkeypatch: pytest.MonkeyPatch) -> ConnectionsApi:
    # Both senders find these through the boto3 session, as on Lambda (the role's keys).
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEYS.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", KEYS.secret_key)
    monkeypatch.setenv("AWS_SESSION_TOKEN", KEYS.token)
    connections_api.reset(KEYS, REGION)
    return connections_api


def send(sender: Sender, connection_id: str, text: str) -> None:
    try:
        asyncio.run(sender.send(connection_id, text))
    finally:
        asyncio.run(sender.close())


def test_signed_sender_sends_the_request_boto3_sends(api: ConnectionsApi) -> None:
    send(boto3_sender(api.url), "WyHPAfymhcwCENw=", "hello é")
    send(signed_sender(api.url), "WyHPAfymhcwCENw=", "hello é")

    reference, ours = api.attempts("WyHPAfymhcwCENw=")
    assert ours.path == reference.path == "/prod/@connections/WyHPAfymhcwCENw%3D"
    assert ours.body == reference.body == "hello é".encode()
    assert reference.signature_ok
    assert ours.signature_ok

    def credential_scope_and_signed_headers(headers: dict[str, str]) -> list[str]:
        return [part.strip() for part in headers["Authorization"].split(",")[:2]]

    assert credential_scope_and_signed_headers(ours.headers) == (
        credential_scope_and_signed_headers(reference.headers)
    )
    assert ours.headers["X-Amz-Security-Token"] == reference.headers["X-Amz-Security-Token"]


@pytest.mark.parametrize("make", SENDERS)
def test_gone_connection_raises_connection_gone(api: ConnectionsApi, make: SenderFactory) -> None:
    api.gone.add("c1")
    with pytest.raises(ConnectionGone) as caught:
        send(make(api.url), "c1", "hi")
    assert caught.value.connection_id == "c1"
    assert api.requests["c1"] == 1, "a 410 is final"


@pytest.mark.parametrize("make", SENDERS)
def test_throttling_is_retried_once_then_send_failed(
    api: ConnectionsApi, make: SenderFactory
) -> None:
    api.throttled.add("c1")
    with pytest.raises(SendFailed) as caught:
        send(make(api.url), "c1", "hi")
    assert caught.value.reason == "LimitExceededException"
    assert api.requests["c1"] == 2


@pytest.mark.parametrize("make", SENDERS)
def test_a_server_error_is_retried_and_the_message_delivered(
    api: ConnectionsApi, make: SenderFactory
) -> None:
    api.flaky.add("c1")
    send(make(api.url), "c1", "hi")
    assert api.posted("c1") == b"hi"
    assert api.requests["c1"] == 2


def test_a_read_timeout_is_not_retried(api: ConnectionsApi) -> None:
    # The post may have reached API Gateway: another try could deliver it twice.
    api.slow.add("c1")
    with pytest.raises(SendFailed) as caught:
        send(signed_sender(api.url, timeout=0.3), "c1", "hi")
    assert caught.value.reason == "ReadTimeoutError"
    assert api.requests["c1"] == 1


def test_unreachable_endpoint_becomes_send_failed() -> None:
    with pytest.raises(SendFailed):
        send(signed_sender(f"http://127.0.0.1:{free_port()}/prod", timeout=0.5), "c1", "hi")


def test_credentials_are_refreshed_before_they_expire(api: ConnectionsApi) -> None:
    fresh = Credentials("AKIDFRESH", "fresh-secret", "fresh-token")

    def refresh() -> dict[str, str]:
        expiry = datetime.now(UTC) + timedelta(hours=1)
        return {
            "access_key": fresh.access_key,
            "secret_key": fresh.secret_key,
            "token": fresh.token,
            "expiry_time": expiry.isoformat(),
        }

    stale = RefreshableCredentials.create_from_metadata(
        {
            "access_key": "AKIDSTALE",
            "secret_key": "stale-secret",
            "token": "stale-token",
            "expiry_time": (datetime.now(UTC) + timedelta(minutes=2)).isoformat(),
        },
        refresh_using=refresh,
        method="test",
    )
    api.reset(fresh, REGION)  # only the refreshed keys are accepted
    sender = SignedHttpSender(api.url, region_name=REGION, credentials=stale, concurrency=2)

    send(sender, "c1", "hi")

    assert api.posted("c1") == b"hi"
