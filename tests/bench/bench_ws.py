"""WebSockets: broadcast to 1,000 connections.

1. AWS path: the hub's bounded-concurrency broadcast through a stand-in for the
   @connections API (a real loopback HTTP server, 20 ms per post, another process), with
   the production sender (SigV4 + urllib3) and boto3's (the reference), against the stock
   loop (one boto3 `post_to_connection` after another) timed on a sample in the same run
   and scaled to 1,000. Target <= 1 s (the loop: ~20 s).
2. Local path: one chat message broadcast to 1,000 real sockets on uvicorn, against the
   seed's `ConnectionManager` loop (`for ws in active: await ws.send_text(...)`) served
   by the same server.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time

from fastapi import WebSocket, WebSocketDisconnect

from handler.app import create_app
from handler.platform.realtime import Connection, Hub, Sender
from handler.platform.realtime.registries.memory import MemoryRegistry
from handler.platform.realtime.senders.signed_http import SignedHttpSender
from handler.settings import Settings
from tests.bench.common import ratio, record, show, spread
from tests.support.boto3_sender import ManagementApiSender
from tests.support.chat_clients import token
from tests.support.servers import LiveServer

TARGETS = 1_000
POST_DELAY = 0.020
SEQUENTIAL_SAMPLE = 50
REPEATS = 5


def _peer(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.bench.ws_peers", *args], stdout=subprocess.PIPE, text=True
    )


def _broadcasts(hub: Hub) -> tuple[float, float]:
    """Wall and CPU seconds of one broadcast to every target."""
    started, cpu_started = time.perf_counter(), time.process_time()
    result = asyncio.run(hub.broadcast("hello"))
    assert result.sent == TARGETS, result
    return time.perf_counter() - started, time.process_time() - cpu_started


def bench_connections_api() -> None:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    stub = _peer("stub", str(POST_DELAY))
    try:
        assert stub.stdout is not None
        endpoint = f"http://127.0.0.1:{stub.stdout.readline().strip()}"
        registry = MemoryRegistry()
        for i in range(TARGETS):
            asyncio.run(registry.add(Connection(f"conn-{i}", str(i), 0.0)))
        senders: dict[str, Sender] = {
            "signed": SignedHttpSender(endpoint, concurrency=64, region_name="us-east-1"),
            "boto3": ManagementApiSender(endpoint, concurrency=64, region_name="us-east-1"),
        }
        hubs = {name: Hub(registry, sender, concurrency=64) for name, sender in senders.items()}
        for hub in hubs.values():
            asyncio.run(hub.broadcast("warm-up"))  # clients built, pool connections opened
        wall: dict[str, list[float]] = {name: [] for name in hubs}
        cpu: dict[str, list[float]] = {name: [] for name in hubs}
        for _ in range(REPEATS):  # interleaved: load on the shared machine hits both alike
            for name, hub in hubs.items():
                seconds, cpu_seconds = _broadcasts(hub)
                wall[name].append(seconds)
                cpu[name].append(cpu_seconds)

        boto3 = senders["boto3"]
        assert isinstance(boto3, ManagementApiSender)
        started = time.perf_counter()  # the stock loop: one boto3 post after another
        for i in range(SEQUENTIAL_SAMPLE):
            boto3.client.post_to_connection(ConnectionId=f"conn-{i}", Data=b"hello")
        sequential = (time.perf_counter() - started) / SEQUENTIAL_SAMPLE * TARGETS
        for sender in senders.values():
            asyncio.run(sender.close())
    finally:
        stub.terminate()
        stub.wait()
    ours, reference = statistics.median(wall["signed"]), statistics.median(wall["boto3"])
    label = f"@connections: {TARGETS} targets, 64 in flight"
    show(f"{label}, signed", ours, "ms", f"{spread(wall['signed'])}  target: <= 1000 ms")
    show("  of which CPU in this process", statistics.median(cpu["signed"]), "ms")
    show(f"{label}, boto3", reference, "ms", spread(wall["boto3"]))
    # botocore spends most of a post in Python (build, hooks, sign, parse), under the GIL.
    show("  of which CPU in this process", statistics.median(cpu["boto3"]), "ms")
    show(f"sequential boto3 loop, {SEQUENTIAL_SAMPLE} posts scaled to {TARGETS}", sequential, "s")
    ratio("speed-up over the sequential loop (signed)", sequential / ours)
    record("broadcast", "hub, signed sender", ours)
    record("broadcast", "hub, boto3 sender", reference)
    record("broadcast", "sequential boto3 loop", sequential)
    ratio("boto3 sender time / signed sender time", reference / ours)


class SeedManager:
    """The seed's ConnectionManager, verbatim in behaviour: a list and a sequential loop."""

    def __init__(self) -> None:
        self.active: list[WebSocket] = []

    async def broadcast(self, message: str) -> None:
        for connection in self.active:
            await connection.send_text(message)


def _app_with_seed_route() -> object:
    app = create_app(Settings(environment="test", log_level="WARNING"))
    manager = SeedManager()

    @app.websocket("/seed/{client_id}")
    async def seed(websocket: WebSocket, client_id: int) -> None:
        await websocket.accept()
        manager.active.append(websocket)
        try:
            while True:
                text = await websocket.receive_text()
                await manager.broadcast(f"Client {client_id}: {text}")
        except WebSocketDisconnect:
            manager.active.remove(websocket)

    return app


def bench_local_sockets() -> None:
    rounds = 15
    with LiveServer(_app_with_seed_route()) as server:
        base = f"ws://127.0.0.1:{server.port}"
        # Every client of ours signs in as "0": the chat names a sender by its token.
        ours = f"{base}/ws/{{i}}?token={token('0')}"
        peer = _peer("clients", str(TARGETS), str(rounds), ours, f"{base}/seed/{{i}}")
        out, _ = peer.communicate(timeout=300)
    ours, seed = json.loads(out.strip().splitlines()[-1])
    hub, loop = statistics.median(ours), statistics.median(seed)
    show(f"local broadcast to {TARGETS} sockets (hub)", hub, "ms", spread(ours))
    show(f"local broadcast to {TARGETS} sockets (seed loop)", loop, "ms", spread(seed))
    ratio("hub time / seed loop time (send to last receipt)", hub / loop)


def main() -> None:
    bench_connections_api()
    bench_local_sockets()


if __name__ == "__main__":
    main()
