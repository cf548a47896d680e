"""Local throughput: the full stack (`python -m local`, default settings) against a bare
FastAPI app under uvicorn's defaults (its access log included), `GET /api/v1/users`, wrk
with 32 connections. Target >= 0.9x.

Both servers run at once and are measured in turn, several rounds (load on this shared
machine lands on both). Each figure is the median of the rounds; the CPU each server
spent per request (from /proc) is shown too: it moves less with the machine's load.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

from tests.bench.common import figure, ratio, record, show
from tests.support.processes import ROOT, child_env
from tests.support.servers import free_port

PATH = "/api/v1/users"
CONNECTIONS = 32
SECONDS = 4
ROUNDS = 5
SERVERS = {
    "bare FastAPI, uvicorn defaults": ["-m", "uvicorn", "tests.bench.bare_app:app"],
    "full stack (python -m local)": ["-m", "local", "serve"],
}


@contextlib.contextmanager
def _serving(args: list[str], port: int) -> Iterator[subprocess.Popen[bytes]]:
    env = child_env(drop=("AWS_", "REDIS_", "TASK_", "WS_", "CONNECTIONS_", "ACCESS_LOG"))
    process = subprocess.Popen(
        [sys.executable, *args, "--port", str(port)],
        cwd=ROOT,
        env=env,
        # Each writes its access lines; to /dev/null, so the terminal costs neither.
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{PATH}"):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"{args} did not start") from None
                time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=10)


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wrk(port: int, pid: int, seconds: int) -> tuple[float, float]:
    """Requests per second, and the server's CPU seconds per request."""
    cpu = _cpu_seconds(pid)
    url = f"http://127.0.0.1:{port}{PATH}"
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", url]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    return rps, (_cpu_seconds(pid) - cpu) / max(requests, 1)


def main() -> None:
    if shutil.which("wrk") is None:
        print("  wrk is not installed (`make bench` installs it): skipped")
        return
    with contextlib.ExitStack() as stack:
        ports = {name: free_port() for name in SERVERS}
        pids = {
            name: stack.enter_context(_serving(args, ports[name])).pid
            for name, args in SERVERS.items()
        }
        for name in SERVERS:
            _wrk(ports[name], pids[name], 1)  # warm up
        rps: dict[str, list[float]] = {name: [] for name in SERVERS}
        cpu: dict[str, list[float]] = {name: [] for name in SERVERS}
        for _ in range(ROUNDS):
            for name in SERVERS:
                got, per_request = _wrk(ports[name], pids[name], SECONDS)
                rps[name].append(got)
                cpu[name].append(per_request)
    bare, ours = list(SERVERS)[:2]
    for name in SERVERS:
        median, per_request = statistics.median(rps[name]), statistics.median(cpu[name])
        figure(f"{name}: requests/s", median, "req/s")
        show(f"{name}: CPU per request", per_request)
        record("throughput (requests/s)", name, median)
    ratio(
        "full stack / bare (requests/s)",
        statistics.median(rps[ours]) / statistics.median(rps[bare]),
        "target >= 1.0",
    )
    ratio(
        "bare / full stack (CPU per request)",
        statistics.median(cpu[bare]) / statistics.median(cpu[ours]),
    )


if __name__ == "__main__":
    main()
