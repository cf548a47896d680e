"""The metrics as the deployed functions write them: CloudWatch EMF lines in their logs,
read here from the emulator's output (each function's lines prefixed with its name, as
CloudWatch shows one log stream). On AWS the same lines become metrics in CloudWatch;
read them there (docs/operations.md)."""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import httpx
import pytest

from tests.platform.metrics.emf_lines import Point, emf_points
from tests.support.stack import Stack

WAIT = 20.0
_PREFIX = re.compile(r"^\[[^\]]+\] ")


def logged_points(stack: Stack) -> list[Point]:
    assert stack.log is not None
    lines = stack.log.read_text(errors="replace").splitlines()
    return emf_points("\n".join(_PREFIX.sub("", line, count=1) for line in lines))


def wait_for_point(stack: Stack, name: str, **dimensions: str) -> Point:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        for point in logged_points(stack):
            if point.name == name and dimensions.items() <= point.dimensions.items():
                return point
        time.sleep(0.2)
    raise AssertionError(f"no {name} {dimensions} in the functions' logs")


@pytest.fixture
def emulated(stack: Stack) -> Stack:
    if not stack.emulated:
        pytest.skip("a deployed stack's metrics are in CloudWatch, not in a local log")
    return stack


def test_the_http_function_counts_requests_by_route_template_and_its_cold_start(
    emulated: Stack,
) -> None:
    # A user id the table does not hold: 404 from a matched route, counted by its template.
    missing = f"{emulated['HttpUrl']}api/v1/users/{2**52}"
    assert httpx.get(missing, timeout=30).status_code == 404
    assert httpx.get(f"{emulated['HttpUrl']}health").status_code == 200
    assert httpx.get(f"{emulated['HttpUrl']}no/such/{uuid.uuid4().hex}").status_code == 404
    wait_for_point(emulated, "Requests", route="GET /api/v1/users/{user_id}", status_class="4xx")
    ok = wait_for_point(emulated, "Requests", route="GET /health", status_class="2xx")
    assert ok.unit == "Count"
    assert ok.dimensions["stage"] == "dev"
    assert ok.namespace  # METRICS_NAMESPACE, as the stack sets it
    # A path no route matched is one dimension value, never the path itself.
    wait_for_point(emulated, "Requests", route="unmatched", status_class="4xx")
    cold = wait_for_point(emulated, "ColdStart")
    assert cold.value == 1
    latency = wait_for_point(emulated, "Latency", route="GET /health")
    assert latency.unit == "Milliseconds"


def test_the_worker_counts_a_dead_lettered_message_by_reason(emulated: Stack) -> None:
    sqs = emulated.client("sqs")
    body: dict[str, Any] = {"name": "no_such_task", "marker": uuid.uuid4().hex}
    sqs.send_message(QueueUrl=emulated.queue_url("TaskQueueUrl"), MessageBody=json.dumps(body))
    point = wait_for_point(emulated, "TasksDeadLettered", reason="bad-envelope")
    assert point.value >= 1
    dimensions = set().union(*(p.dimensions for p in logged_points(emulated)))
    # No dimension ever carries an id: only the documented, fixed-set names.
    assert dimensions <= {
        "service",
        "stage",
        "function",
        "route",
        "status_class",
        "task",
        "reason",
        "component",
        "outcome",
    }
