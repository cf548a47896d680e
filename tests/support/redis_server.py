"""A Redis server of a test's own: `redis-server` on a free loopback port (never the
shared 6379 one), without persistence, that the test may kill and start again on the
same port (`RedisServer`)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from types import TracebackType

from tests.support.servers import free_port


class RedisServer:
    """`with RedisServer() as redis:` starts it; `kill()` is a crash (SIGKILL: no goodbye to
    clients), `start()` brings it back empty on the same port; the block's end kills it."""

    def __init__(self) -> None:
        self.binary = shutil.which("redis-server")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def available(self) -> bool:
        return self.binary is not None

    def start(self, timeout: float = 10.0) -> None:
        assert self.binary is not None, "redis-server is not installed"
        assert self.process is None, "already running"
        command = [self.binary, "--bind", "127.0.0.1", "--port", str(self.port)]
        command += ["--save", "", "--appendonly", "no", "--daemonize", "no"]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + timeout
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.02)

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def answers(self) -> bool:
        """Whether it answers PING (raw RESP: no client library, no pool to go stale)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.kill()
