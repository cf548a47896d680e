"""What a developer reads: configuration mistakes, the startup line, expected refusals and
Ctrl+C, in real `python -m local` processes."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator

import boto3
import httpx
import pytest

from tests.support.processes import ROOT, child_env, like_a_terminal, run_python, serving
from tests.support.servers import free_port, handshake_refusal

# Settings come from the variables each test sets, not from the developer's shell.
CLEAN_ENV = child_env(
    drop=(
        "AWS_",
        "REDIS_",
        "TASK_",
        "WS_",
        "CONNECTIONS_",
        "IDEMPOTENCY_",
        "ENVIRONMENT",
        "PORT",
        "HOST",
        "LOG_FORMAT",
        "LOG_LEVEL",
    )
)


def run_local(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_python("-m", "local", *args, env={**CLEAN_ENV, **env})


@pytest.mark.parametrize("command", [[], ["worker"]])
@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"ENVIRONMENT": "bogus"}, "ENVIRONMENT='bogus': expected one of 'development'"),
        ({"PORT": "abc"}, "PORT='abc'"),
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL='loud'"),
        ({"ENVIRONMENT": "production", "REDIS_URL": "redis://cache.example.com"}, "rediss://"),
    ],
)
def test_a_configuration_mistake_is_one_line_naming_the_variable_and_exit_2(
    command: list[str], env: dict[str, str], named: str
) -> None:
    done = run_local(*command, **env)
    assert done.returncode == 2
    assert named in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_the_worker_without_a_queue_says_so_and_exits_2() -> None:
    done = run_local("worker")
    assert done.returncode == 2
    assert "TASK_QUEUE_URL" in done.stderr
    assert "Traceback" not in done.stderr


def test_lambda_init_fails_with_the_variable_named() -> None:
    done = run_python(
        "-c",
        "import handler.lambda_http",
        env={**CLEAN_ENV, "ENVIRONMENT": "bogus", "AWS_LAMBDA_FUNCTION_NAME": "http"},
    )
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(
        "handler.platform.settings.ConfigError: invalid configuration: ENVIRONMENT="
    )


def test_startup_names_every_backend_and_the_address_and_refusals_are_not_errors() -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "local", "--port", str(port)]
    with serving(command, port=port, env=CLEAN_ENV) as served:
        assert handshake_refusal(f"ws://127.0.0.1:{port}/ws?token=not-a-token") == 401
        typo = httpx.post(f"{base}/graphql", json={"query": "{ usr(id: 1) { name } }"})
        assert typo.json()["errors"][0]["message"].startswith("Cannot query field 'usr'")
        assert httpx.get(f"{base}/nope").status_code == 404
        assert httpx.post(f"{base}/send-notification/?email=x").status_code == 401
        served.process.send_signal(signal.SIGINT)  # Ctrl+C
        served.process.wait(timeout=20)

    output = served.output
    assert served.process.returncode == 0, output
    startup = [line for line in output.splitlines() if "handler.app: startup" in line]
    assert len(startup) == 1, output
    assert startup[0].endswith(
        "startup (development): cache=memory limits=memory tasks=in-process"
        " websockets=local subscriptions=memory idempotency=memory users=memory"
        f" identity=development; serving http://127.0.0.1:{port}"
    )
    assert " ERROR " not in output, output
    assert "Traceback" not in output, output
    assert "uvicorn.error" not in output, "uvicorn's INFO lines are named uvicorn"
    assert "GraphQL request refused: Cannot query field 'usr'" in output


@pytest.fixture
def moto_queue() -> Iterator[dict[str, str]]:
    """A queue in a real moto server, and the environment that points a worker at it."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    env = {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    sqs = boto3.client(
        "sqs",
        region_name="us-east-1",
        endpoint_url=env["AWS_ENDPOINT_URL"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    env["TASK_QUEUE_URL"] = sqs.create_queue(QueueName="tasks")["QueueUrl"]
    try:
        yield env
    finally:
        server.stop()


def test_ctrl_c_stops_the_worker_without_a_traceback(moto_queue: dict[str, str]) -> None:
    with like_a_terminal():
        worker = subprocess.Popen(
            [sys.executable, "-m", "local", "worker", "--wait", "1"],
            cwd=ROOT,
            env={**CLEAN_ENV, **moto_queue},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
    assert worker.stdout is not None
    lines = []
    for line in worker.stdout:  # bounded by the worker's own start-up
        lines.append(line)
        if "polling" in line:
            break
    worker.send_signal(signal.SIGINT)
    output, _ = worker.communicate(timeout=20)
    assert worker.returncode == 130
    assert "Traceback" not in "".join(lines) + output
