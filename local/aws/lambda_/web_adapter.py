"""The stream function: `handler/run_stream.sh` (uvicorn on PORT), started as Lambda Web
Adapter starts it behind a Function URL in response-stream mode, and its output printed
as `[stream] ...` lines."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

from local.aws.lambda_.execution import ROOT, LogSink
from local.aws.topology import FunctionSpec


class WebAdapterFunction:
    """One process serving `spec.handler`; `start()` answers its URL once /health does."""

    def __init__(self, spec: FunctionSpec, environment: Mapping[str, str], log: LogSink) -> None:
        self.spec = spec
        self._environment = environment
        self._log = log
        self._process: asyncio.subprocess.Process | None = None
        self._forwarding: asyncio.Task[None] | None = None

    async def start(self, port: int) -> str:
        env = {
            "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
            **self._environment,
            "AWS_LAMBDA_FUNCTION_NAME": self.spec.name,
            "LAMBDA_TASK_ROOT": str(ROOT),
            "PYTHONUNBUFFERED": "1",
        }
        self._process = await asyncio.create_subprocess_exec(
            "sh",
            str(ROOT / self.spec.handler),
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        assert self._process.stdout is not None  # noqa: S101 - piped above
        self._forwarding = asyncio.create_task(self._forward(self._process.stdout))
        url = f"http://127.0.0.1:{port}/"
        await self._until_ready(url + "health", self._process)
        return url

    async def _forward(self, stream: asyncio.StreamReader) -> None:
        prefix = f"[{self.spec.name}] "
        async for line in stream:
            self._log(prefix + line.decode(errors="replace").rstrip("\n"))

    @staticmethod
    async def _until_ready(url: str, process: asyncio.subprocess.Process) -> None:
        deadline = time.monotonic() + 20
        async with httpx.AsyncClient() as client:
            while True:
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get(url, timeout=1)).status_code == 200:
                        return
                if process.returncode is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the stream app did not answer {url}")
                await asyncio.sleep(0.1)

    async def stop(self) -> None:
        """SIGTERM, up to 3 s to finish, then SIGKILL; safe to call twice."""
        process = self._process
        if process is None:
            return
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
        with contextlib.suppress(TimeoutError, ProcessLookupError):
            async with asyncio.timeout(3):
                await process.wait()
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
        if self._forwarding is not None:
            self._forwarding.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._forwarding
