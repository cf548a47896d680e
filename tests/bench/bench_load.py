"""HTTP load with wrk: requests per second and p50/p99 latency.

1. Local: the full stack (`python -m local`: uvicorn with the app, its middleware and
   lifespan, access log included) against a bare FastAPI app with the same route and
   answer under uvicorn's defaults (`uvicorn bare:app`), 32 connections for 10 s each,
   in turn, three times.
2. Through the emulator (`python -m local aws`): the same route through the emulated
   HTTP API, which turns each request into a payload 2.0 event for one of at most three
   Lambda-like environments (one event at a time each): 6 connections.

Each server runs in its own process; wrk (a C load generator, `make bench` installs it)
takes little CPU from them on this 2-core machine. Loopback only.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.bench.common import cpu_seconds, figure, ratio, show, spread
from tests.support.processes import child_env, serving
from tests.support.servers import free_port
from tests.support.stack import emulated_stack

ROUTE = "/api/v1/users"
CONNECTIONS = 32
SECONDS = 10
REPEATS = 3
EMULATED_CONNECTIONS = 6
_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0}


@dataclass(frozen=True)
class Load:
    requests_per_second: float
    p50: float  # seconds
    p99: float
    errors: int  # socket errors and non-2xx answers
    requests: int
    server_cpu: float = 0.0  # seconds of the server process's CPU during the run

    @property
    def cpu_per_request(self) -> float:
        return self.server_cpu / self.requests


def wrk(url: str, *, connections: int, seconds: int, pid: int | None = None) -> Load:
    threads = 1  # one wrk thread drives far more than one Python process serves here
    cpu = cpu_seconds(pid) if pid else 0.0
    done = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    )
    load = parse_wrk(done.stdout)
    if pid:
        load = dataclasses.replace(load, server_cpu=cpu_seconds(pid) - cpu)
    return load


def parse_wrk(out: str) -> Load:
    def latency(percent: str) -> float:
        found = re.search(rf"^\s*{percent}%\s+([0-9.]+)(us|ms|s)\s*$", out, re.MULTILINE)
        assert found, out
        return float(found[1]) * _UNITS[found[2]]

    rps = re.search(r"Requests/sec:\s+([0-9.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    assert rps, out
    assert total, out
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    failed = errors + int(non_2xx[1] if non_2xx else 0)
    return Load(float(rps[1]), latency("50"), latency("99"), failed, int(total[1]))


def local_full_vs_bare() -> None:
    drop = ("AWS_", "REDIS_", "TASK_", "WS_", "CONNECTIONS_", "IDEMPOTENCY_")
    full_port, bare_port = free_port(), free_port()
    full_env = child_env(drop=drop, PORT=str(full_port))
    # The same body through the same response model, computed per request (bare_app.py).
    bare_cmd = [
        *(sys.executable, "-m", "uvicorn", "tests.bench.bare_app:app"),
        *("--port", str(bare_port)),
    ]
    with (
        serving([sys.executable, "-m", "local"], port=full_port, env=full_env) as full,
        serving(bare_cmd, port=bare_port, env=child_env(drop=drop), ready=ROUTE) as bare,
    ):
        servers = {"full": full, "bare": bare}
        for server in servers.values():  # warm up: imports, first requests
            wrk(server.url + ROUTE, connections=CONNECTIONS, seconds=2)
        runs: dict[str, list[Load]] = {name: [] for name in servers}
        for _ in range(REPEATS):  # interleaved: a burst of load elsewhere hits both
            for name, server in servers.items():
                url, pid = server.url + ROUTE, server.process.pid
                runs[name].append(wrk(url, connections=CONNECTIONS, seconds=SECONDS, pid=pid))
    print(f"  GET {ROUTE}, {CONNECTIONS} connections, {SECONDS} s x {REPEATS} each", flush=True)
    for name, label in (
        ("full", "full stack (python -m local)"),
        ("bare", "bare FastAPI, uvicorn defaults"),
    ):
        report(label, runs[name])
    full_rps = statistics.median(r.requests_per_second for r in runs["full"])
    bare_rps = statistics.median(r.requests_per_second for r in runs["bare"])
    ratio("full / bare, requests per second", full_rps / bare_rps)
    full_p99 = statistics.median(r.p99 for r in runs["full"])
    bare_p99 = statistics.median(r.p99 for r in runs["bare"])
    ratio("full / bare, p99 latency", full_p99 / bare_p99)
    full_cpu = statistics.median(r.cpu_per_request for r in runs["full"])
    bare_cpu = statistics.median(r.cpu_per_request for r in runs["bare"])
    ratio("full / bare, server CPU per request", full_cpu / bare_cpu)


def report(label: str, runs: list[Load]) -> None:
    rps = [r.requests_per_second for r in runs]
    figure(f"{label}: req/s", statistics.median(rps), "", spread(rps))
    show("  p50", statistics.median(r.p50 for r in runs), "ms")
    show("  p99", statistics.median(r.p99 for r in runs), "ms")
    figure("  errors (socket, non-2xx)", sum(r.errors for r in runs))
    if runs[0].server_cpu:
        show("  server CPU per request", statistics.median(r.cpu_per_request for r in runs))


def through_the_emulator() -> None:
    with tempfile.TemporaryDirectory() as workdir, emulated_stack(Path(workdir)) as stack:
        url = stack["HttpUrl"].rstrip("/") + ROUTE
        # Warm up: the HTTP function's environments start (init) on first use.
        wrk(url, connections=EMULATED_CONNECTIONS, seconds=3)
        runs = [wrk(url, connections=EMULATED_CONNECTIONS, seconds=SECONDS) for _ in range(REPEATS)]
    print(f"  through the emulator's HTTP API, {EMULATED_CONNECTIONS} connections", flush=True)
    report("emulated HTTP API -> Lambda environments", runs)


def main() -> None:
    if shutil.which("wrk") is None:
        print("  wrk is not installed: skipped (`make bench` installs it)", flush=True)
        return
    local_full_vs_bare()
    through_the_emulator()


if __name__ == "__main__":
    main()
