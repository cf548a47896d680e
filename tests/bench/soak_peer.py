"""The WebSocket soak's clients, in their own process (their CPU is not the server's).

`python -m tests.bench.soak_peer URL_TEMPLATE STAYERS CHURNERS SECONDS RATE`

- STAYERS clients connect first and stay to the end; the first two of them are the
  senders, each sending RATE/2 chat messages a second (`<seq> <epoch seconds>`), which
  the chat broadcasts to everyone as `Client N: <seq> <time>`;
- CHURNERS clients connect, stay 0.5-2 s, leave, pause 0.1-0.5 s, and again, until the
  senders stop;
- URL_TEMPLATE holds `{token}` for the client's bearer token (`ws://host/ws?token={token}`,
  `wss://host/prod?token={token}`). SOAK_TOKENS (environment, comma-separated) gives
  three: the two senders' (the chat names a sender by its token's subject, and the
  stayers tell messages apart by sender and sequence) and one every other client shares.

It prints one JSON line: messages sent, deliveries expected and received by the stayers
(expected: every message sent, since they were connected throughout), stayers the server
dropped, churn cycles, connect failures, and delivery latency percentiles (ms).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass, field

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

DRAIN_SECONDS = 5.0  # after the last send, how long stayers may take to receive it all
CONNECT_BATCH = 50  # connects in flight at once (API Gateway: 500 new connections/s)


@dataclass
class Tally:
    sent: int = 0
    received: int = 0
    latencies: list[float] = field(default_factory=list)
    dropped: int = 0
    churn_cycles: int = 0
    connect_failures: int = 0
    seen: dict[int, set[tuple[str, int]]] = field(default_factory=dict)
    expected: int = 0  # set once the senders stopped
    all_in: asyncio.Event = field(default_factory=asyncio.Event)


async def stay(ws: ClientConnection, index: int, tally: Tally, done: asyncio.Event) -> None:
    seen = tally.seen.setdefault(index, set())
    try:
        while True:
            try:
                async with asyncio.timeout(0.5):
                    text = str(await ws.recv())
            except TimeoutError:
                if done.is_set():
                    return
                continue
            sender, _, rest = text.partition(": ")
            seq, _, sent_at = rest.partition(" ")
            if not (seq.isdigit() and sent_at):
                continue  # not a soak message
            if (sender, int(seq)) not in seen:
                seen.add((sender, int(seq)))
                tally.received += 1
                tally.latencies.append(time.time() - float(sent_at))
                if tally.expected and tally.received >= tally.expected:
                    tally.all_in.set()
    except ConnectionClosed:
        if not done.is_set():
            tally.dropped += 1


async def send_loop(ws: ClientConnection, rate: float, stop: float, tally: Tally) -> None:
    began = time.monotonic()
    seq = 0
    while time.monotonic() < stop:
        await ws.send(f"{seq} {time.time():.6f}")
        seq += 1
        tally.sent += 1
        # On a fixed schedule: a slow moment is caught up, not added to every interval.
        await asyncio.sleep(max(0.0, began + seq / rate - time.monotonic()))


def url_of(template: str, stayer: int | None) -> str:
    """The URL of stayer number `stayer` (0 and 1 send), or of a churner (None)."""
    tokens = os.environ["SOAK_TOKENS"].split(",")
    if stayer is not None and stayer < 2:
        return template.format(token=tokens[stayer])
    return template.format(token=tokens[2])


async def churn(template: str, stop: float, tally: Tally) -> None:
    while time.monotonic() < stop:
        try:
            async with connect(url_of(template, None), open_timeout=10) as ws:
                tally.churn_cycles += 1
                hold = time.monotonic() + random.uniform(0.5, 2.0)
                while time.monotonic() < hold:
                    try:
                        async with asyncio.timeout(max(0.0, hold - time.monotonic())):
                            await ws.recv()
                    except TimeoutError:
                        break
        except Exception:  # refused, reset or timed out: counted, not fatal
            tally.connect_failures += 1
        await asyncio.sleep(random.uniform(0.1, 0.5))


async def soak(template: str, stayers: int, churners: int, seconds: float, rate: float) -> Tally:
    tally = Tally()
    sockets: list[ClientConnection] = []
    for start in range(0, stayers, CONNECT_BATCH):
        ids = range(start, min(stayers, start + CONNECT_BATCH))
        batch = [connect(url_of(template, i), max_queue=None) for i in ids]
        sockets += await asyncio.gather(*batch)
    await asyncio.sleep(1.0)  # every stayer registered before the first message
    done = asyncio.Event()
    readers = [asyncio.create_task(stay(ws, i, tally, done)) for i, ws in enumerate(sockets)]
    stop = time.monotonic() + seconds
    churning = [asyncio.create_task(churn(template, stop, tally)) for _ in range(churners)]
    senders = sockets[:2]
    await asyncio.gather(*(send_loop(ws, rate / len(senders), stop, tally) for ws in senders))
    await asyncio.gather(*churning)
    tally.expected = tally.sent * stayers
    if tally.received >= tally.expected:
        tally.all_in.set()
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(DRAIN_SECONDS):
            await tally.all_in.wait()
    done.set()
    await asyncio.gather(*readers)
    for ws in sockets:
        await ws.close()
    return tally


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main(argv: list[str]) -> None:
    template, stayers, churners = argv[0], int(argv[1]), int(argv[2])
    seconds, rate = float(argv[3]), float(argv[4])
    tally = asyncio.run(soak(template, stayers, churners, seconds, rate))
    expected = tally.sent * stayers
    report = {
        "stayers": stayers,
        "churners": churners,
        "seconds": seconds,
        "sent": tally.sent,
        "expected": expected,
        "received": tally.received,
        "lost": expected - tally.received,
        "dropped_stayers": tally.dropped,
        "churn_cycles": tally.churn_cycles,
        "connect_failures": tally.connect_failures,
        "p50_ms": 1000 * statistics.median(tally.latencies) if tally.latencies else None,
        "p99_ms": 1000 * percentile(tally.latencies, 0.99),
        "max_ms": 1000 * max(tally.latencies, default=float("nan")),
    }
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
