"""The emulated APIs' servers: uvicorn embedded in the emulator's loop, and their ports."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Generator
from typing import Any

import uvicorn


class EmbeddedServer(uvicorn.Server):
    """uvicorn serving inside the emulator's loop: the emulator owns the signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


async def serve(app: Any, port: int, **config: Any) -> tuple[EmbeddedServer, asyncio.Task[None]]:
    """`app` on 127.0.0.1:`port`, started: the server and the task that serves it."""
    server = EmbeddedServer(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_config=None,
            access_log=False,
            server_header=False,
            timeout_graceful_shutdown=3,
            **config,
        )
    )
    serving = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 10
    while not server.started:
        if serving.done() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"could not serve on 127.0.0.1:{port}")
        await asyncio.sleep(0.02)
    return server, serving


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
