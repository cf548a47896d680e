"""Child processes: a fresh interpreter (`run_python`), a server process (`serving`), and
the environment to give them (`child_env`). Children start at the repository root
(`ROOT`), so `import handler` and `import tests` work there as here."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def child_env(*, drop: Sequence[str] = (), **extra: str) -> dict[str, str]:
    """This process's environment without the variables starting with any of `drop`,
    plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(tuple(drop))}
    env.update(extra)
    return env


def run_python(
    *args: str,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """`python *args` to its end, output captured as text; `env` replaces the environment
    (None: this one). The exit code is the caller's to check."""
    return subprocess.run(
        [PYTHON, *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def printed(done: subprocess.CompletedProcess[str], label: str) -> Any:
    """The JSON a child that exited 0 printed after `label` on a line of its own."""
    assert done.returncode == 0, done.stderr
    line = next(line for line in done.stdout.splitlines() if line.startswith(f"{label} "))
    return json.loads(line.removeprefix(f"{label} "))


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    url: str
    output: str = ""  # stdout and stderr, once the process has exited


@contextmanager
def like_a_terminal() -> Iterator[None]:
    """Children started in the block get the SIGINT a terminal's foreground command has.

    A test run started in the background (`make test &`, some CI runners) ignores SIGINT;
    a child inherits an ignored signal across exec, and Python then never raises
    KeyboardInterrupt, so a Ctrl+C test would hang instead of testing the command. A
    handled signal is reset to the default at exec, which is what a terminal gives."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def serving(
    command: Sequence[str],
    *,
    port: int,
    env: Mapping[str, str],
    ready: str = "/health",
    startup: float = 30,
    cwd: Path = ROOT,
) -> Iterator[Served]:
    """Run a server process until the block ends (SIGTERM, then its output is read).

    It counts as started once GET `ready` answers on 127.0.0.1:`port`."""
    with tempfile.TemporaryFile() as log:  # a file, not a pipe: a chatty server never blocks
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        served = Served(process, f"http://127.0.0.1:{port}")
        try:
            wait_until_answering(served, ready, startup, name=" ".join(command))
            yield served
        finally:
            process.terminate()
            process.wait(timeout=10)
            log.seek(0)
            served.output = log.read().decode(errors="replace")


def wait_until_answering(served: Served, path: str, startup: float, *, name: str) -> None:
    deadline = time.monotonic() + startup
    while True:
        try:
            httpx.get(served.url + path, timeout=1)
            return
        except httpx.TransportError:
            assert served.process.poll() is None, f"{name} exited early"
            assert time.monotonic() < deadline, f"{name} did not start"
            time.sleep(0.1)
