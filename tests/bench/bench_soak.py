"""WebSocket soak: clients joining and leaving while chat messages are broadcast to
everyone, for a fixed time; messages lost by the clients that stayed, delivery latency,
and the server's memory before and after.

1. Local: `python -m local` (uvicorn, this machine's sockets), 400 clients that stay,
   100 that churn, 5 broadcasts a second (2,000 deliveries a second) for 30 s, twice on
   the same server: memory that grows in the second round as in the first would be a
   leak, memory that stays is the first round's high-water mark.
2. Through the emulator (`python -m local aws`): each message is a `$default` invocation
   of the WebSocket function, whose broadcast scans DynamoDB (moto) and posts to every
   connection through the emulated @connections API; and every join and leave of a
   churner is a `$connect` / `$disconnect` invocation. So tens of clients: 40 that stay,
   10 that churn, 2 broadcasts a second for 30 s.

The clients run in another process (`tests.bench.soak_peer`). Loopback only; each run
ends by itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

from tests.bench.common import cpu_seconds, figure, show
from tests.support.chat_clients import token
from tests.support.cognito import sign_up_and_in
from tests.support.processes import ROOT, child_env, serving
from tests.support.servers import free_port
from tests.support.stack import emulated_stack

LOCAL = {"stayers": 400, "churners": 100, "seconds": 30, "rate": 5}
LOCAL_ROUNDS = 2
EMULATED = {"stayers": 40, "churners": 10, "seconds": 30, "rate": 2}
SETTLE = 3.0  # after the clients left, before memory is read again


def rss_mb(pid: int) -> float:
    """Resident memory of a process and every process under it, in MB."""
    total_kb = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total_kb += int(line.split()[1])
    return total_kb / 1024


def run_peer(template: str, plan: Mapping[str, float], tokens: list[str]) -> dict[str, float]:
    """The soak's clients in their own process; `tokens`: the two senders' and the rest's."""
    args = [str(plan[k]) for k in ("stayers", "churners", "seconds", "rate")]
    budget = plan["seconds"] + 120  # connecting, draining: never hangs the bench
    done = subprocess.run(
        [sys.executable, "-m", "tests.bench.soak_peer", template, *args],
        cwd=ROOT,
        env={**os.environ, "SOAK_TOKENS": ",".join(tokens)},
        capture_output=True,
        text=True,
        timeout=budget,
        check=True,
    )
    report: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def report(label: str, result: Mapping[str, float], cpu: float | None) -> None:
    print(
        f"  {label}: {int(result['stayers'])} staying + {int(result['churners'])} churning "
        f"({int(result['churn_cycles'])} joins), {int(result['sent'])} broadcasts",
        flush=True,
    )
    figure("messages lost (stayers)", result["lost"], "", f"of {int(result['expected'])}")
    figure("stayers dropped by the server", result["dropped_stayers"])
    figure("churn connects that failed", result["connect_failures"])
    show("delivery latency p50", result["p50_ms"] / 1000, "ms")
    show("delivery latency p99", result["p99_ms"] / 1000, "ms", f"max {result['max_ms']:.0f} ms")
    if cpu is not None:
        figure("server CPU, share of one core", 100 * cpu / result["seconds"], "%")


def memory(rss: list[float]) -> None:
    figure("server RSS before", rss[0], "MB")
    for n, after in enumerate(rss[1:], start=1):
        figure(f"server RSS after round {n} (clients gone)", after, "MB", f"{after - rss[0]:+.1f}")


def soak_local() -> None:
    port = free_port()
    env = child_env(
        drop=("AWS_", "REDIS_", "TASK_", "WS_", "CONNECTIONS_", "IDEMPOTENCY_"),
        PORT=str(port),
        LOG_LEVEL="WARNING",  # a line per join would be the soak's bottleneck, not the hub
    )
    with serving([sys.executable, "-m", "local"], port=port, env=env) as server:
        pid = server.process.pid
        httpx.get(f"{server.url}/health")
        rss = [rss_mb(pid)]
        for _ in range(LOCAL_ROUNDS):
            cpu = cpu_seconds(pid)
            tokens = [token("soak-a"), token("soak-b"), token("soak-everyone")]
            result = run_peer(f"ws://127.0.0.1:{port}/ws?token={{token}}", LOCAL, tokens)
            cpu = cpu_seconds(pid) - cpu
            time.sleep(SETTLE)
            rss.append(rss_mb(pid))
            report("local (python -m local)", result, cpu)
        memory(rss)


def soak_emulated() -> None:
    with tempfile.TemporaryDirectory() as workdir, emulated_stack(Path(workdir)) as stack:
        template = stack["WebSocketUrl"] + "?token={token}"
        idp = stack.client("cognito-idp")
        pool, client = stack["UserPoolId"], stack["UserPoolClientId"]
        tokens = [
            sign_up_and_in(idp, pool_id=pool, client_id=client, name=name).access_token
            for name in ("soak-a", "soak-b", "soak-everyone")
        ]
        # One client first: the WebSocket function's environments start (init) here.
        warm = {"stayers": 3, "churners": 0, "seconds": 2, "rate": 2}
        run_peer(template, warm, tokens)
        pid = _emulator_pid(stack.log)
        rss = [rss_mb(pid)]
        result = run_peer(template, EMULATED, tokens)
        time.sleep(SETTLE)
        rss.append(rss_mb(pid))
    # RSS counts the whole tree: the emulator, moto and every function environment.
    report("through the emulator (python -m local aws)", result, None)
    memory(rss)


def _emulator_pid(log: Path | None) -> int:
    """The emulator's process id: the parent of the function environments, found as the
    `python -m local aws` process started under this one."""
    me = os.getpid()
    for task in Path(f"/proc/{me}/task").iterdir():
        for child in (task / "children").read_text().split():
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
            if b"local" in cmdline and b"aws" in cmdline:
                return int(child)
    raise RuntimeError(f"no emulator process under {me}; log: {log}")


def main() -> None:
    soak_local()
    soak_emulated()


if __name__ == "__main__":
    main()
