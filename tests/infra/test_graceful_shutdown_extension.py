"""The graceful-shutdown extension, run for real: the script is executed as Lambda would
(through its shebang) against a loopback server that speaks the two Extensions API
calls it makes. No node, no AWS."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

# Spelled out, not imported from infra.shutdown: importing aws_cdk would start node.
LAYER_DIR = Path(__file__).resolve().parents[2] / "infra" / "layers" / "graceful_shutdown"
EXTENSION = "extensions/graceful-shutdown"
SCRIPT = LAYER_DIR / EXTENSION
IDENTIFIER = "0d6c1a3e-8f3b-4f7c-9a57-3b1f2f0c9e11"
REGISTER = "/2020-01-01/extension/register"
NEXT = "/2020-01-01/extension/event/next"


@pytest.fixture(autouse=True)
def _node() -> None:
    """Overrides the directory's node gate: nothing here starts jsii."""


@dataclass
class Call:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeExtensionsApi:
    """Register answers `register_status` (with the identifier header unless told not
    to); each `next` waits a moment, then hands out the next of `events`."""

    register_status: int = 200
    identifier: str | None = IDENTIFIER
    events: list[dict[str, Any]] = field(
        default_factory=lambda: [{"eventType": "SHUTDOWN", "shutdownReason": "spindown"}]
    )
    calls: list[Call] = field(default_factory=list)

    def handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                api.calls.append(self._call(self.rfile.read(length)))
                headers = {"Lambda-Extension-Identifier": api.identifier} if api.identifier else {}
                body = {"functionName": "http", "handler": "handler.lambda_http.handler"}
                if api.register_status != 200:
                    body = {"errorMessage": "extension name mismatch"}
                self._answer(api.register_status, body, headers)

            def do_GET(self) -> None:
                api.calls.append(self._call(b""))
                time.sleep(0.2)  # Lambda holds `next` until there is an event
                if not api.events:
                    self._answer(500, {"errorMessage": "no more events"}, {})
                    return
                self._answer(200, api.events.pop(0), {})

            def _call(self, body: bytes) -> Call:
                return Call(self.command, self.path, dict(self.headers.items()), body)

            def _answer(self, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                for name, value in {**headers, "Content-Type": "application/json"}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


@pytest.fixture
def api() -> FakeExtensionsApi:
    return FakeExtensionsApi()


@pytest.fixture
def runtime_api(api: FakeExtensionsApi) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), api.handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _run(runtime_api: str | None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"]}
    if runtime_api is not None:
        env["AWS_LAMBDA_RUNTIME_API"] = runtime_api
    return subprocess.run(
        [str(SCRIPT)], env=env, capture_output=True, text=True, timeout=30, check=False
    )


def test_script_is_an_executable_named_like_its_extension() -> None:
    assert SCRIPT.parent.name == "extensions"
    assert SCRIPT.stat().st_mode & 0o111
    assert SCRIPT.read_text().startswith("#!/usr/bin/env python3\n")


def test_registers_for_shutdown_only_then_exits_zero_on_shutdown(
    api: FakeExtensionsApi, runtime_api: str
) -> None:
    result = _run(runtime_api)
    assert result.returncode == 0, result.stderr
    register, next_event = api.calls
    assert (register.method, register.path) == ("POST", REGISTER)
    assert register.headers["Lambda-Extension-Name"] == "graceful-shutdown"
    assert json.loads(register.body) == {"events": ["SHUTDOWN"]}
    assert (next_event.method, next_event.path) == ("GET", NEXT)
    assert next_event.headers["Lambda-Extension-Identifier"] == IDENTIFIER
    assert result.stderr == ""


def test_events_before_shutdown_are_waited_through(
    api: FakeExtensionsApi, runtime_api: str
) -> None:
    api.events.insert(0, {"eventType": "INVOKE", "requestId": "r-1"})
    result = _run(runtime_api)
    assert result.returncode == 0, result.stderr
    assert [call.path for call in api.calls] == [REGISTER, NEXT, NEXT]


def test_refused_registration_exits_nonzero_with_the_reason(
    api: FakeExtensionsApi, runtime_api: str
) -> None:
    api.register_status = 403
    result = _run(runtime_api)
    assert result.returncode == 1
    assert "[graceful-shutdown] giving up: POST /register: HTTP 403" in result.stderr
    assert "extension name mismatch" in result.stderr
    assert [call.path for call in api.calls] == [REGISTER]


def test_registration_without_an_identifier_is_a_failure(
    api: FakeExtensionsApi, runtime_api: str
) -> None:
    api.identifier = None
    result = _run(runtime_api)
    assert result.returncode == 1
    assert "no Lambda-Extension-Identifier" in result.stderr
    assert [call.path for call in api.calls] == [REGISTER]


def test_an_unreachable_api_exits_nonzero_with_the_reason() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = _run(f"127.0.0.1:{port}")
    assert result.returncode == 1
    assert "giving up: POST /register: ConnectionRefusedError" in result.stderr


def test_without_a_runtime_api_it_refuses_to_start() -> None:
    result = _run(None)
    assert result.returncode == 1
    assert "AWS_LAMBDA_RUNTIME_API is not set" in result.stderr


def test_a_failing_next_exits_nonzero(api: FakeExtensionsApi, runtime_api: str) -> None:
    api.events.clear()
    result = _run(runtime_api)
    assert result.returncode == 1
    assert "GET /event/next: HTTP 500" in result.stderr


def test_layer_ships_only_the_extension() -> None:
    files = [p.relative_to(LAYER_DIR) for p in LAYER_DIR.rglob("*") if p.is_file()]
    assert files == [Path(EXTENSION)]
