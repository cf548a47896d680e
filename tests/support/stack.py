"""The deployed topology the end-to-end tests drive, read from `cdk deploy --outputs-file`
JSON: the emulator's (`python -m local aws --outputs-file`), or a real stack's."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.processes import ROOT, child_env

STACK_NAME = "FastapiServerless"


@dataclass(frozen=True)
class Stack:
    outputs: dict[str, str]
    log: Path | None = None  # the emulator's output (functions' lines included); None: AWS

    def __getitem__(self, name: str) -> str:
        return self.outputs[name]

    @property
    def emulated(self) -> bool:
        return self.log is not None

    def client(self, service: str, **options: Any) -> Any:
        """A boto3 client for this stack: the emulator's moto and region, or AWS (the
        caller's credentials and the region the outputs name)."""
        import boto3

        region = self.outputs.get("Region") or _region_of(self.outputs["WebSocketUrl"])
        if self.emulated:
            options.setdefault("endpoint_url", self.outputs["AwsEndpointUrl"])
            options.setdefault("aws_access_key_id", "testing")
            options.setdefault("aws_secret_access_key", "testing")
        return boto3.client(service, region_name=region, **options)

    def queue_url(self, output: str) -> str:
        """TaskQueueUrl / TaskDlqUrl: a local extra, else looked up by the queue's name."""
        if output in self.outputs:
            return self.outputs[output]
        name = self.outputs[output.replace("Url", "Name")]
        url: str = self.client("sqs").get_queue_url(QueueName=name)["QueueUrl"]
        return url

    def logged(self, text: str, *, within: float = 20.0) -> bool:
        """Whether the emulator's output shows `text` within `within` seconds."""
        assert self.log is not None
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if text in self.log.read_text(errors="replace"):
                return True
            time.sleep(0.1)
        return False


def _region_of(url: str) -> str:
    return url.split(".execute-api.")[1].split(".", maxsplit=1)[0]


def only_stack(outputs: dict[str, Any]) -> dict[str, str]:
    """The outputs of the one stage's stack (`FastapiServerless-dev`, `-prod`) in the file."""
    (found,) = [value for name, value in outputs.items() if name.startswith(STACK_NAME + "-")]
    return dict(found)


def deployed_stack(outputs_file: Path) -> Stack:
    outputs = json.loads(outputs_file.read_text())
    return Stack(only_stack(outputs))


@contextmanager
def emulated_stack(workdir: Path, *, startup: float = 60) -> Iterator[Stack]:
    """`python -m local aws` on free ports until the block ends (SIGTERM: it stops every
    process it started)."""
    outputs_file, log_file = workdir / "outputs.json", workdir / "emulator.log"
    command = [sys.executable, "-m", "local", "aws", "--port", "0"]
    command += ["--outputs-file", str(outputs_file)]
    # The developer's own AWS and Redis settings never reach the emulator.
    env = child_env(
        drop=(
            "AWS_",
            "REDIS_",
            "TASK_",
            "WS_",
            "CONNECTIONS_",
            "IDEMPOTENCY_",
            "USERS_",
            "CURSOR_",
            "AUTH_",
        )
    )
    with log_file.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + startup
            while not outputs_file.exists():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the emulator did not start:\n{log_file.read_text()}")
                time.sleep(0.1)
            yield Stack(only_stack(json.loads(outputs_file.read_text())), log_file)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
