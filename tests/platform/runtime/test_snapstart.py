"""SnapStart: the init builds everything ahead and registers hooks; before the snapshot no
socket stays open, and environments restored from it draw their own random numbers and
serve requests on connections of their own. Simulated with a fork
(tests/support/snapstart.py); the real Redis and a moto server are the peers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tests.support.processes import child_env, printed, run_python
from tests.support.servers import free_port
from tests.support.snapstart import HEAVY, RESTORES
from tests.support.task_queues import REGION

pytestmark = pytest.mark.redis


@pytest.fixture
def deployed(redis_url: str, redis_prefix: str) -> Iterator[dict[str, str]]:
    """The HTTP function's environment (as the stack sets it), on a moto server."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    credentials = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    sqs = boto3.client("sqs", region_name=REGION, endpoint_url=endpoint, **_lower(credentials))
    queue_url = sqs.create_queue(QueueName="tasks")["QueueUrl"]
    yield {
        **credentials,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_LAMBDA_FUNCTION_NAME": "http",
        "ENVIRONMENT": "test",
        "LOG_LEVEL": "WARNING",
        "REDIS_URL": redis_url,
        "REDIS_KEY_PREFIX": redis_prefix,
        "REDIS_TIMEOUT": "2",
        "TASK_QUEUE_URL": queue_url,
    }
    server.stop()


def _lower(credentials: dict[str, str]) -> dict[str, Any]:
    return {key.lower(): value for key, value in credentials.items()}


def _life_cycle(environment: dict[str, str], *args: str) -> Any:
    drop = ("AWS_", "REDIS_", "TASK_", "WS_", "CONNECTIONS_", "IDEMPOTENCY_", "ACCESS_LOG")
    env = child_env(drop=drop, **environment)
    return printed(run_python("-m", "tests.support.snapstart", *args, env=env), "RESULT")


def test_restored_environments_share_no_socket_and_no_random_state(
    deployed: dict[str, str],
) -> None:
    result = _life_cycle({**deployed, "AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start"})
    # The init built what is otherwise built on first use.
    assert all(result["imported"].values()), result["imported"]
    # The init's Redis connection was open, and the hooks closed it. (moto's server closes
    # every connection after its answer: the AWS clients' pools are tested against a
    # server that keeps them, in tests/platform/aws/test_clients.py.)
    assert set(result["before_hooks"].values()) == set(result["ports"])
    assert result["after_hooks"] == {}
    restored = result["restored"]
    assert len(restored) == RESTORES
    assert restored[0]["random"] != restored[1]["random"]
    for environment in restored:
        assert all(status < 400 for status in environment["statuses"]), environment
        # Each reconnected, on sockets of its own: none is one from before the snapshot.
        assert set(environment["sockets"].values()) == set(result["ports"])
        assert not set(environment["sockets"]) & set(result["before_hooks"])
    # Both served: each queued its task on the real (moto) queue.
    sqs = boto3.client(
        "sqs",
        region_name=REGION,
        endpoint_url=deployed["AWS_ENDPOINT_URL"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    attributes = sqs.get_queue_attributes(
        QueueUrl=deployed["TASK_QUEUE_URL"], AttributeNames=["ApproximateNumberOfMessages"]
    )
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == str(RESTORES)


def test_without_snapstart_the_init_stays_lazy(deployed: dict[str, str]) -> None:
    result = _life_cycle(deployed, "--no-snapshot")
    assert result["imported"] == dict.fromkeys(HEAVY, False)
