"""Bench peers that run in their own process, so their CPU is not the measured process's.

`python -m tests.bench.ws_peers stub DELAY`: a stand-in for API Gateway's @connections
API on a free loopback port (printed first), answering every POST after DELAY seconds.
`python -m tests.bench.ws_peers clients N ROUNDS URL...`: N WebSocket clients at each
URL (a template: `{i}` is the client's number); in each group client 0 sends ROUNDS
messages; prints, per URL, the list of seconds from each send until all N clients of that
group received its broadcast.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from websockets.asyncio.client import ClientConnection, connect


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            headers = dict(line.split(b":", 1) for line in head.split(b"\r\n")[1:] if b":" in line)
            headers = {k.strip().lower(): v.strip() for k, v in headers.items()}
            if headers.get(b"expect", b"").lower() == b"100-continue":
                writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            length = int(headers.get(b"content-length", b"0"))
            if length:
                await reader.readexactly(length)
            await asyncio.sleep(delay)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def stub(delay: float) -> None:
    server = await asyncio.start_server(
        lambda r, w: _answer(r, w, delay), "127.0.0.1", 0, backlog=1024
    )
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


async def _group(url: str, n: int) -> list[ClientConnection]:
    sockets: list[ClientConnection] = []
    for start in range(0, n, 100):  # in batches: the listen backlog is finite
        ids = range(start, min(n, start + 100))
        batch = [connect(url.format(i=i), max_queue=None) for i in ids]
        sockets += await asyncio.gather(*batch)
    return sockets


async def _round(sockets: list[ClientConnection], text: str) -> float:
    """Seconds from client 0 sending `text` until every client has its broadcast."""
    expected = f"Client 0: {text}"

    async def until_seen(ws: ClientConnection) -> None:
        while await ws.recv() != expected:
            pass

    waiting = [asyncio.create_task(until_seen(ws)) for ws in sockets]
    started = time.perf_counter()
    await sockets[0].send(text)
    await asyncio.gather(*waiting)
    return time.perf_counter() - started


async def clients(n: int, rounds: int, urls: list[str]) -> None:
    groups = [await _group(url, n) for url in urls]
    await asyncio.sleep(0.5)  # let the server finish registering everyone
    timings: list[list[float]] = [[] for _ in groups]
    for r in range(rounds):  # interleaved, so drift in machine load hits every group alike
        for sockets, seen in zip(groups, timings, strict=True):
            seen.append(await _round(sockets, f"go-{r}"))
    print(json.dumps(timings), flush=True)
    for sockets in groups:
        for ws in sockets:
            ws.transport.abort()


if __name__ == "__main__":
    if sys.argv[1] == "stub":
        asyncio.run(stub(float(sys.argv[2])))
    else:
        asyncio.run(clients(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]))
