"""`python -m local aws` as a user runs it: it starts, writes the outputs, and SIGTERM
stops every process it started within a few seconds and frees its ports."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from infra.app_tables import APP_TABLES
from tests.support.processes import ROOT, child_env

NAMES = {
    "HttpUrl",
    "WebSocketUrl",
    "WebSocketCallbackUrl",
    "StreamUrl",
    "ConnectionsTableName",
    # One per table of tables.toml: UsersTableName, ...
    *(table.output_name for table in APP_TABLES),
    "TaskQueueName",
    "TaskDlqName",
    "UserPoolId",
    "UserPoolClientId",
    "AwsEndpointUrl",
    "TaskQueueUrl",
    "TaskDlqUrl",
    "Region",
}


def processes_reaching(endpoint: str) -> list[int]:
    """Processes whose environment names this emulator's moto (its functions)."""
    marker = f"AWS_ENDPOINT_URL={endpoint}".encode()
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker in environ.read_bytes().split(b"\0"):
                found.append(int(environ.parent.name))
        except OSError:
            continue  # gone meanwhile, or not ours to read
    return found


def port_is_free(port: int) -> bool:
    """Nothing listens on it: a server can bind it again (with SO_REUSEADDR, as uvicorn and
    moto do, since closed connections linger in TIME_WAIT)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_it_starts_writes_outputs_and_sigterm_stops_everything(tmp_path: Path) -> None:
    outputs_file = tmp_path / "out.json"
    command = [sys.executable, "-m", "local", "aws", "--port", "0"]
    process = subprocess.Popen(
        [*command, "--outputs-file", str(outputs_file)],
        cwd=ROOT,
        env=child_env(drop=("AWS_", "REDIS_")),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not outputs_file.exists():
            assert process.poll() is None, "the emulator exited"
            assert time.monotonic() < deadline, "the emulator did not start"
            time.sleep(0.1)
        outputs = json.loads(outputs_file.read_text())["FastapiServerless-dev"]
        assert set(outputs) == NAMES
        # Environments exist only once invoked: start the HTTP function's.
        assert httpx.get(f"{outputs['HttpUrl']}api/v1/users", timeout=30).status_code == 200
        endpoint = outputs["AwsEndpointUrl"]
        assert processes_reaching(endpoint), "the HTTP function runs in its own process"
        ports = [
            urlsplit(outputs[name]).port for name in ("HttpUrl", "WebSocketUrl", "StreamUrl")
        ] + [urlsplit(endpoint).port]

        stopping = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)
        assert time.monotonic() - stopping < 10
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
    assert processes_reaching(endpoint) == []
    assert all(port_is_free(port) for port in ports if port)
