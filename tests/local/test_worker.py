"""`python -m local worker` against a real moto server: the AWS path on a laptop."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator

import boto3
import pytest
from fastapi.testclient import TestClient
from moto.server import ThreadedMotoServer

from handler import lambda_worker
from handler.api.notification_tasks import OUTBOX, Email
from handler.app import create_app
from handler.settings import Settings, get_settings
from local.__main__ import main
from local.worker import poller_client, run
from tests.support.auth import bearer
from tests.support.servers import free_port
from tests.support.task_queues import REGION


@pytest.fixture
def moto_server(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    sqs = boto3.client("sqs", region_name=REGION, endpoint_url=endpoint)
    queue_url = sqs.create_queue(QueueName="tasks", Attributes={"VisibilityTimeout": "30"})[
        "QueueUrl"
    ]
    dlq_url = sqs.create_queue(QueueName="tasks-dlq")["QueueUrl"]
    env = {"TASK_QUEUE_URL": queue_url, "TASK_DLQ_URL": dlq_url, "AWS_ENDPOINT_URL": endpoint}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    lambda_worker.worker.cache_clear()
    yield env
    get_settings.cache_clear()
    lambda_worker.worker.cache_clear()
    server.stop()


def queue_depth(env: dict[str, str], url_key: str) -> int:
    sqs = boto3.client("sqs", region_name=REGION, endpoint_url=env["AWS_ENDPOINT_URL"])
    attributes = sqs.get_queue_attributes(
        QueueUrl=env[url_key],
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(value) for value in attributes.values())


def test_local_worker_runs_what_the_app_queued(moto_server: dict[str, str]) -> None:
    OUTBOX.clear()
    settings = Settings(environment="test")
    with TestClient(create_app(settings)) as client:
        response = client.post(
            "/send-notification/",
            params={"email": "ada@example.com"},
            headers=bearer(settings, "ada"),
        )
    assert response.status_code == 200
    assert len(OUTBOX) == 0, "with TASK_QUEUE_URL set the app only queues"
    sqs = boto3.client("sqs", region_name=REGION, endpoint_url=moto_server["AWS_ENDPOINT_URL"])
    sqs.send_message(QueueUrl=moto_server["TASK_QUEUE_URL"], MessageBody="{poison")

    main(["worker", "--wait", "1", "--max-polls", "1"])

    assert list(OUTBOX) == [Email(to="ada@example.com", message="some notification")]
    assert queue_depth(moto_server, "TASK_QUEUE_URL") == 0, "acknowledged messages are deleted"
    parked = sqs.receive_message(
        QueueUrl=moto_server["TASK_DLQ_URL"], MessageAttributeNames=["All"]
    )["Messages"]
    assert [m["Body"] for m in parked] == ["{poison"]
    assert parked[0]["MessageAttributes"]["reason"]["StringValue"] == "bad-envelope"


def test_local_worker_leaves_failed_messages_for_retry(
    moto_server: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TASK_DLQ_URL")  # poison then stays, like a raising task
    sqs = boto3.client("sqs", region_name=REGION, endpoint_url=moto_server["AWS_ENDPOINT_URL"])
    sqs.send_message(QueueUrl=moto_server["TASK_QUEUE_URL"], MessageBody=json.dumps([]))

    main(["worker", "--wait", "1", "--max-polls", "1"])

    # Still there: in flight until its visibility timeout, then received again.
    assert queue_depth(moto_server, "TASK_QUEUE_URL") == 1


def test_idle_long_poll_longer_than_the_request_timeout_returns_cleanly(
    moto_server: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    wait = 6  # past the 3-5 s read timeout that request-path clients use
    settings = get_settings()
    client = poller_client(settings, wait)
    assert client.meta.config.read_timeout > wait

    started = time.monotonic()
    run(settings, wait_seconds=wait, max_polls=1)

    assert time.monotonic() - started >= wait - 0.5, "moto held the poll open, as SQS does"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
