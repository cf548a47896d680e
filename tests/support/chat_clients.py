"""Chat clients of real local servers: `ChatClient` (a `websockets` client signed in with
a development token, recording what it hears), and `worker_connections` (how many
sockets each worker of a `--workers N` server holds, read from /proc)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from contextlib import AsyncExitStack
from pathlib import Path

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from handler.composition import development_issuer
from handler.settings import Settings

WAIT = 10.0  # the bound on any one expected message
QUIET = 0.5  # after the expected messages, how long a duplicate is given to show up


def token(subject: str, *, admin: bool = False) -> str:
    """A development token the servers accept (they share this checkout's key file)."""
    return development_issuer(Settings(environment="test")).issue(subject, admin=admin)


class ChatClient:
    """One signed-in socket; `heard` is every text it received, in order."""

    def __init__(self, socket: ClientConnection, name: str) -> None:
        self.socket = socket
        self.name = name
        self.heard: list[str] = []
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def join(cls, stack: AsyncExitStack, port: int, name: str) -> ChatClient:
        url = f"ws://127.0.0.1:{port}/ws?token={token(name)}"
        socket = await stack.enter_async_context(connect(url, open_timeout=WAIT))
        client = cls(socket, name)
        stack.push_async_callback(client.stop)
        return client

    async def _read(self) -> None:
        try:
            async for message in self.socket:
                self.heard.append(str(message))
        except ConnectionClosed:
            pass

    async def say(self, text: str) -> None:
        await self.socket.send(text)

    async def stop(self) -> None:
        self._reader.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)

    def count(self, text: str) -> int:
        return self.heard.count(text)


async def until(condition: Callable[[], bool], seconds: float = WAIT) -> None:
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 - other tasks' and processes' state
            await asyncio.sleep(0.02)


async def each_hears_once(clients: list[ChatClient], text: str) -> None:
    """Every client hears `text`, and none hears it twice (given time to)."""
    await until(lambda: all(client.count(text) >= 1 for client in clients))
    await asyncio.sleep(QUIET)
    counts = {client.name: client.count(text) for client in clients}
    assert set(counts.values()) == {1}, counts


def worker_connections(server_pid: int, port: int) -> dict[int, int]:
    """For each child process of `server_pid`: its established TCP connections on `port`
    (a uvicorn worker holds the sockets it accepted)."""
    established = _established_inodes(port)
    counts = {}
    for child in _children(server_pid):
        fds = Path(f"/proc/{child}/fd")
        try:
            links = [os.readlink(fd) for fd in fds.iterdir()]
        except OSError:
            continue  # gone meanwhile
        counts[child] = sum(
            1 for link in links if link.removeprefix("socket:[")[:-1] in established
        )
    return counts


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text()
        found += [int(child) for child in text.split()]
    return found


def _established_inodes(port: int) -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        lines = Path(table).read_text().splitlines()[1:]
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "01" and int(local.rsplit(":", 1)[1], 16) == port:
                inodes.add(inode)
    return inodes
