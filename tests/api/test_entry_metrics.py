"""Metrics and traces through the demo's three Lambda entries with recorded events: the
HTTP entry in a fresh interpreter (as the runtime imports it), the worker and WebSocket
entries in this one under moto, the trace header carried by moto's SQS. The recorder
itself, on an app of its own: tests/platform/metrics/."""

from __future__ import annotations

import importlib
import json
import logging
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from handler import lambda_worker
from handler.app import create_app
from handler.composition import app_metrics, aws_hub
from handler.platform.aws.clients import aws_session
from handler.platform.metrics.emf import EmfMetrics
from handler.platform.tasks.envelope import encode_task
from handler.platform.tasks.idempotency import InMemoryPersistenceLayer
from handler.platform.tasks.registry import TaskRegistry
from handler.platform.tasks.worker import TaskWorker
from handler.settings import Settings, get_settings
from tests.platform.metrics.emf_lines import emf_points, named
from tests.support.auth import bearer
from tests.support.connections_api import ConnectionsApi
from tests.support.events import LambdaContext, http_event
from tests.support.processes import child_env, run_python
from tests.support.task_queues import Aws, sqs_event
from tests.support.websocket_api import TABLE, connect, create_connections_table, message

# Queueing a task is for a signed-in caller.
USER = bearer(Settings(environment="test"), "alice")

TRACE = "Root=1-65a1b2c3-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1"
TRACE_ID = "1-65a1b2c3-0123456789abcdef01234567"

HTTP_ENTRY = textwrap.dedent(
    """
    import json, os, sys
    from handler.lambda_http import handler
    from local.aws.lambda_.context import LambdaContext

    for i, event in enumerate(json.load(sys.stdin)):
        # The runtime sets the invocation's trace header before each invocation.
        os.environ["_X_AMZN_TRACE_ID"] = event.pop("trace")
        answer = handler(event, LambdaContext(aws_request_id=f"req-{i}", function_name="http"))
        print("STATUS", answer["statusCode"], flush=True)
    handler.close()
    """
)


@pytest.fixture(autouse=True)
def _fresh_metrics() -> Iterator[None]:
    app_metrics.cache_clear()
    yield
    app_metrics.cache_clear()


def test_http_entry_flushes_once_per_invocation_with_a_cold_start_first() -> None:
    events = [
        {**http_event("http_api_v2", path="/api/v1/users/1"), "trace": TRACE},
        {**http_event("http_api_v2", path="/api/v1/users/424242"), "trace": TRACE},
    ]
    env = child_env(
        drop=("METRICS", "REDIS_URL", "TASK_", "USERS_TABLE", "CONNECTIONS_TABLE", "WS_"),
        AWS_LAMBDA_FUNCTION_NAME="http",
        ENVIRONMENT="test",
        STAGE="dev",
        METRICS_NAMESPACE="shop",
    )
    done = run_python("-c", HTTP_ENTRY, env=env, stdin=json.dumps(events))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    statuses = [line for line in lines if line.startswith("STATUS")]
    assert statuses == ["STATUS 200", "STATUS 404"]
    # Everything of the first invocation is written before the second begins.
    first = "\n".join(lines[: lines.index("STATUS 200")])
    points = emf_points(first)
    (cold,) = named(points, "ColdStart")
    assert cold.dimensions == {"service": "fastapi-serverless", "stage": "dev", "function": "http"}
    assert cold.namespace == "shop"
    (request,) = named(points, "Requests")
    assert request.dimensions["route"] == "GET /api/v1/users/{user_id}"
    assert request.dimensions["status_class"] == "2xx"
    second = emf_points("\n".join(lines[lines.index("STATUS 200") :]))
    assert named(second, "ColdStart") == []
    assert [p.dimensions["status_class"] for p in named(second, "Requests")] == ["4xx"]
    assert all("424242" not in v for p in second for v in p.dimensions.values())


@pytest.fixture
def traced_app(aws: Aws) -> FastAPI:
    return create_app(
        Settings(
            environment="test",
            task_queue_url=aws.queue_url,
            task_dlq_url=aws.dlq_url,
            idempotency_table=aws.table,
        )
    )


def sent_batches(aws: Aws) -> list[dict[str, Any]]:
    """Every SendMessageBatch as botocore put it on the wire (JSON protocol), captured
    at `before-send`, after serialization; the request still goes on to moto. Registered
    on the session, before the app's client is built (it copies the session's hooks)."""
    bodies: list[dict[str, Any]] = []

    def capture(request: Any, **_: Any) -> None:
        bodies.append(json.loads(request.body))

    aws_session().events.register("before-send.sqs.SendMessageBatch", capture)
    return bodies


def test_the_request_trace_header_is_sent_as_aws_trace_header(
    traced_app: FastAPI, aws: Aws
) -> None:
    with TestClient(traced_app) as client:
        batches = sent_batches(aws)
        answer = client.post(
            "/send-notification/",
            params={"email": "a@example.com"},
            headers={"X-Amzn-Trace-Id": TRACE + ";Lineage=abc:1|evil;Root=1-0-0", **USER},
        )
        assert answer.status_code == 200
        plain = client.post("/send-notification/", params={"email": "b@example.com"}, headers=USER)
        assert plain.status_code == 200
    traced, untraced = (batch["Entries"][0] for batch in batches)
    # Rebuilt from its checked fields only; no attribute at all without a header.
    assert traced["MessageSystemAttributes"] == {
        "AWSTraceHeader": {"DataType": "String", "StringValue": TRACE}
    }
    assert "MessageSystemAttributes" not in untraced
    assert len(aws.messages(aws.queue_url)) == 2  # and moto took both


def test_a_malformed_trace_header_is_dropped_not_sent(traced_app: FastAPI, aws: Aws) -> None:
    with TestClient(traced_app) as client:
        batches = sent_batches(aws)
        answer = client.post(
            "/send-notification/",
            params={"email": "a@example.com"},
            headers={"X-Amzn-Trace-Id": "Root=not-a-trace", **USER},
        )
    assert answer.status_code == 200
    assert "MessageSystemAttributes" not in batches[0]["Entries"][0]


def test_moto_delivers_aws_trace_header_of_a_single_send(aws: Aws) -> None:
    """What the worker reads: SQS copies the attribute into the received message (and
    Lambda into the record's `attributes`). moto 5.2 keeps it for SendMessage but drops
    it from SendMessageBatch entries, so the batch path is checked on the wire above."""
    aws.sqs.send_message(
        QueueUrl=aws.queue_url,
        MessageBody="{}",
        MessageSystemAttributes={"AWSTraceHeader": {"DataType": "String", "StringValue": TRACE}},
    )
    (received,) = aws.messages(aws.queue_url)
    assert received["Attributes"]["AWSTraceHeader"] == TRACE


@pytest.fixture
def lambda_worker_env(
    worker_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[None]:
    """The worker entry as on Lambda (JSON logs, EMF on), rebuilt for this test."""
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "worker")
    monkeypatch.setenv("STAGE", "dev")
    get_settings.cache_clear()
    lambda_worker.worker.cache_clear()
    yield
    get_settings.cache_clear()
    lambda_worker.worker.cache_clear()
    logging.getLogger().handlers.clear()  # the JSON handler wrote to this test's capture


def test_worker_entry_joins_the_trace_and_counts_runs_and_dead_letters(
    traced_app: FastAPI,
    aws: Aws,
    lambda_worker_env: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with TestClient(traced_app) as client:
        client.post(
            "/send-notification/",
            params={"email": "a@example.com"},
            headers={"X-Amzn-Trace-Id": TRACE, **USER},
        )
    received = aws.messages(aws.queue_url)
    # As Lambda's event source delivers it (moto drops it from batch sends, see above).
    received[0]["Attributes"]["AWSTraceHeader"] = TRACE
    poison = {"MessageId": "poison-1", "Body": "not an envelope"}
    capsys.readouterr()

    answer = lambda_worker.handler(sqs_event(*received, poison), LambdaContext())

    assert answer == {"batchItemFailures": []}
    out = capsys.readouterr().out
    points = emf_points(out)
    (cold,) = named(points, "ColdStart")
    assert cold.dimensions["function"] == "worker"
    (ran,) = named(points, "TasksRun")
    assert ran.dimensions == {"service": "fastapi-serverless", "stage": "dev", "task": "send_email"}
    assert named(points, "TaskDuration")[0].dimensions["task"] == "send_email"
    (dead,) = named(points, "TasksDeadLettered")
    assert dead.dimensions["reason"] == "bad-envelope"
    logged = [json.loads(line) for line in out.splitlines() if line.startswith('{"level"')]
    task_lines = [line for line in logged if line.get("task_name") == "send_email"]
    assert task_lines, out
    assert all(line["trace_id"] == TRACE_ID for line in task_lines)
    assert all(line["request_id"] for line in task_lines)
    # A second invocation of the warm environment: no cold start.
    lambda_worker.handler(sqs_event(poison), LambdaContext())
    assert named(emf_points(capsys.readouterr().out), "ColdStart") == []


def test_worker_counts_a_failing_task_as_retried(capsys: pytest.CaptureFixture[str]) -> None:
    tasks = TaskRegistry()

    @tasks.task
    def explode() -> None:
        raise RuntimeError("on purpose")

    metrics = EmfMetrics(namespace="ns", service="svc", dimensions={"stage": "t"})
    worker = TaskWorker(
        persistence=InMemoryPersistenceLayer(), dead_letters=None, tasks=tasks, metrics=metrics
    )
    body = encode_task(tasks.spec_for(explode), (), {}, request_id="r", max_bytes=1 << 20).body
    answer = worker.handle(sqs_event({"MessageId": "m-1", "Body": body}), LambdaContext())
    metrics.flush()

    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    points = emf_points(capsys.readouterr().out)
    (retried,) = named(points, "TasksRetried")
    assert retried.dimensions["task"] == "explode"
    assert named(points, "TasksRun") == []
    assert len(named(points, "TaskDuration")) == 1


def test_ws_entry_counts_its_cold_start_and_connection_posts(
    connections_api: ConnectionsApi,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from moto import mock_aws

    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("CONNECTIONS_TABLE", TABLE)
    monkeypatch.setenv("WS_CALLBACK_URL", connections_api.url)
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "ws")
    with mock_aws():
        create_connections_table()
        get_settings.cache_clear()
        aws_hub.cache_clear()
        try:
            import handler.lambda_ws

            lambda_ws = importlib.reload(handler.lambda_ws)
            for connection_id in ("alive", "gone-1"):
                assert (
                    lambda_ws.handler(connect(connection_id), LambdaContext())["statusCode"] == 200
                )
            connections_api.gone.add("gone-1")
            capsys.readouterr()
            lambda_ws.handler(message("alive", "hello"), LambdaContext())
            points = emf_points(capsys.readouterr().out)
        finally:
            get_settings.cache_clear()
            aws_hub.cache_clear()
            logging.getLogger().handlers.clear()
    assert [len(named(points, n)) for n in ("ConnectionPostsSent", "ConnectionPostsGone")] == [1, 1]
    assert named(points, "ColdStart") == []  # counted by the first ($connect) invocation
