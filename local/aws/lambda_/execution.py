"""One execution environment, seen from the emulator: a `runtime.py` child process
that inits once and then takes one event at a time.

This side owns what Lambda's control plane owns: the process, its environment variables,
the function timeout (the process is killed, as Lambda ends a timed-out environment),
and the platform's log lines (`INIT_START`, `START`, `END`, `REPORT`). The function's own
stdout and stderr arrive here on one pipe and go to the emulator's log, each line
prefixed with `[function/environment]`, as CloudWatch shows them in one log stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import signal
import sys
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from local.aws.lambda_.invoke import Failure, Invocation
from local.aws.lambda_.runtime import OUTPUT_MARK

LogSink = Callable[[str], None]  # one line, without its newline
ROOT = Path(__file__).resolve().parents[3]  # the repository: LAMBDA_TASK_ROOT
LOG_LINE_BYTES = 256 * 1024  # a longer line is passed on in pieces
REPLY_BYTES = 64 * 1024 * 1024  # far above Lambda's 6 MB: the gateways enforce that


class ExecutionEnvironment:
    """Start with `start()`; then `invoke()` one event at a time; `stop()` at the end.

    After a timeout, a crash or a failed init the environment is dead (`alive` is False)
    and is not used again.
    """

    def __init__(
        self, *, label: str, handler: str, environ: Mapping[str, str], arn: str, log: LogSink
    ) -> None:
        self.label = label
        self._handler = handler
        self._environ = dict(environ)
        self._arn = arn
        self._log = log
        self._process: asyncio.subprocess.Process | None = None
        self._replies: asyncio.StreamReader | None = None
        self._transport: asyncio.BaseTransport | None = None
        self._pump: asyncio.Task[None] | None = None
        self._init_ms: float | None = None  # reported with the first invoke, then None
        self._replies_read = 0
        self._marks_seen = 0
        self._mark = asyncio.Event()
        self.alive = False

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def log(self, line: str) -> None:
        self._log(f"[{self.label}] {line}")

    async def start(self, init_timeout: float) -> Invocation | None:
        """Spawn the process and wait for its init: None when it is ready, else the
        `Failure.INIT` outcome (the process is gone then)."""
        self.log(f"INIT_START Runtime Version: python:{sys.version_info[0]}.{sys.version_info[1]}")
        loop = asyncio.get_running_loop()
        read_fd, write_fd = os.pipe()
        try:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "local.aws.lambda_.runtime",
                self._handler,
                str(write_fd),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                pass_fds=(write_fd,),
                env=self._environ,
                cwd=ROOT,
                # Its own process group: Ctrl+C in the terminal reaches the emulator only,
                # which then stops its environments in order; a kill takes the whole group.
                start_new_session=True,
                limit=LOG_LINE_BYTES,
            )
        except BaseException:
            os.close(read_fd)
            raise
        finally:
            os.close(write_fd)
        self.alive = True
        self._replies = asyncio.StreamReader(limit=REPLY_BYTES)
        protocol = asyncio.StreamReaderProtocol(self._replies)
        pipe = os.fdopen(read_fd, "rb", buffering=0)
        self._transport, _ = await loop.connect_read_pipe(lambda: protocol, pipe)
        if self._process.stdout is not None:  # always: stdout is a pipe
            self._pump = asyncio.create_task(self._forward(self._process.stdout))
        try:
            async with asyncio.timeout(init_timeout):
                reply = await self._read_reply()
            if reply is None:  # it died during init
                reply = {"init": {"ok": False, "error": _exit_error(await self._exit_code())}}
            init = reply["init"]
        except TimeoutError:
            init = {"ok": False, "ms": init_timeout * 1000, "error": _init_timeout(init_timeout)}
        if init["ok"]:
            self._init_ms = init["ms"]
            return None
        error = init["error"]
        ms = init.get("ms", 0.0)
        self.log(
            f"INIT_REPORT Init Duration: {ms:.2f} ms\tPhase: init\tStatus: error\t"
            f"Error Type: {error['type']}"
        )
        await self.stop()
        detail = f"{error['type']}: {error['message']}"
        return Invocation(failure=Failure.INIT, detail=detail, duration_ms=ms)

    async def invoke(self, event: dict[str, Any], timeout_seconds: float) -> Invocation:
        if not self.alive or self._process is None or self._process.stdin is None:
            return Invocation(failure=Failure.CRASH, detail="the environment was stopped")
        request_id = str(uuid.uuid4())
        self.log(f"START RequestId: {request_id} Version: $LATEST")
        timeout = timeout_seconds
        request = {"id": request_id, "event": event, "timeout_ms": int(timeout * 1000)}
        line = json.dumps({**request, "arn": self._arn}).encode() + b"\n"
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            async with asyncio.timeout(timeout):
                self._process.stdin.write(line)
                await self._process.stdin.drain()
                reply = await self._read_reply()
        except TimeoutError:
            detail = f"Task timed out after {timeout:.2f} seconds"
            stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
            self.log(f"{stamp} {request_id} {detail}")
            await self.stop(grace=0)
            return self._report(request_id, Failure.TIMEOUT, detail=detail, ms=timeout * 1000)
        except (BrokenPipeError, ConnectionResetError):
            reply = None
        except asyncio.CancelledError:
            # Its reply would arrive out of turn: this environment cannot be used again.
            await self.stop(grace=0)
            raise
        elapsed_ms = (loop.time() - started) * 1000
        if reply is None:
            code = await self._exit_code()
            detail = f"{_exit_error(code)['type']}: {_exit_error(code)['message']}"
            self.log(f"RequestId: {request_id} Error: {detail}")
            await self.stop(grace=0)
            return self._report(request_id, Failure.CRASH, detail=detail, ms=elapsed_ms)
        memory = int(reply.get("max_memory_mb", 0))
        if reply.get("ok"):
            payload = reply.get("payload")
            return self._report(request_id, None, ms=reply["ms"], memory_mb=memory, payload=payload)
        error = reply["error"]
        detail = f"{error['type']}: {error['message']}"
        return self._report(
            request_id, Failure.HANDLER, detail=detail, ms=reply["ms"], memory_mb=memory
        )

    def _report(
        self,
        request_id: str,
        failure: Failure | None,
        *,
        ms: float,
        detail: str = "",
        memory_mb: int = 0,
        payload: Any = None,
    ) -> Invocation:
        init_ms, self._init_ms = self._init_ms, None
        # Lambda bills the init of on-demand environments too (since August 2025).
        billed = math.ceil(ms + (init_ms or 0.0))
        memory = self._environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "?")
        parts = [
            f"REPORT RequestId: {request_id}",
            f"Duration: {ms:.2f} ms",
            f"Billed Duration: {billed} ms",
            f"Memory Size: {memory} MB",
            f"Max Memory Used: {memory_mb or '?'} MB",
        ]
        if init_ms is not None:
            parts.append(f"Init Duration: {init_ms:.2f} ms")
        if failure in (Failure.TIMEOUT, Failure.CRASH):
            parts.append(f"Status: {'timeout' if failure is Failure.TIMEOUT else 'error'}")
        self.log(f"END RequestId: {request_id}")
        self.log("\t".join(parts))
        return Invocation(payload=payload, failure=failure, detail=detail, duration_ms=ms)

    async def stop(self, grace: float = 2.0) -> None:
        """SIGTERM (Lambda's shutdown signal), then SIGKILL after `grace` seconds; the
        whole process group, so nothing the function started outlives it."""
        self.alive = False
        process = self._process
        if process is not None and process.returncode is None:
            if process.stdin is not None:
                process.stdin.close()
            _signal_group(process.pid, signal.SIGTERM if grace > 0 else signal.SIGKILL)
            try:
                await asyncio.wait_for(process.wait(), grace or 1.0)
            except TimeoutError:
                _signal_group(process.pid, signal.SIGKILL)
                with contextlib.suppress(TimeoutError):  # unkillable (D state): give up
                    await asyncio.wait_for(process.wait(), 5.0)
        if self._transport is not None:
            self._transport.close()
        if self._pump is not None:
            # The rest of its output (a last traceback) is worth a moment, not more.
            await asyncio.wait([self._pump], timeout=1.0)
            self._pump.cancel()

    async def _read_reply(self) -> dict[str, Any] | None:
        """The next reply, or None when the process has closed its end (it died)."""
        if self._replies is None:
            return None
        try:
            line = await self._replies.readline()
        except ValueError:  # a reply past REPLY_BYTES: the channel cannot be trusted now
            return None
        if not line:
            return None
        self._replies_read += 1
        await self._output_caught_up(self._replies_read)
        reply: dict[str, Any] = json.loads(line)
        return reply

    async def _output_caught_up(self, marks: int) -> None:
        """Wait (briefly) until the log pump has passed the mark written before reply
        number `marks`: the function's lines then come before the platform's."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(1.0):
                while self._marks_seen < marks:
                    self._mark.clear()
                    await self._mark.wait()

    async def _exit_code(self) -> int | None:
        if self._process is None:
            return None
        try:
            return await asyncio.wait_for(self._process.wait(), 2.0)
        except TimeoutError:
            return None

    async def _forward(self, stream: asyncio.StreamReader) -> None:
        while True:
            try:
                chunk = await stream.readuntil(b"\n")
            except asyncio.IncompleteReadError as end:
                chunk = end.partial
                if not chunk:
                    return
            except asyncio.LimitOverrunError as long:
                chunk = await stream.read(long.consumed)
            if chunk.endswith(OUTPUT_MARK):
                self._marks_seen += 1
                self._mark.set()
                chunk = chunk.removesuffix(OUTPUT_MARK)  # after a line without its newline
                if not chunk:
                    continue
            self.log(chunk.decode(errors="replace").rstrip("\r\n"))


def _signal_group(pid: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signum)


def _init_timeout(seconds: float) -> dict[str, str]:
    return {"type": "Runtime.InitTimeout", "message": f"init did not finish in {seconds:.1f} s"}


def _exit_error(code: int | None) -> dict[str, str]:
    if code is None:
        return {"type": "Runtime.ExitError", "message": "Runtime exited without providing a reason"}
    how = f"signal: {signal.strsignal(-code)}" if code < 0 else f"exit status {code}"
    return {"type": "Runtime.ExitError", "message": f"Runtime exited with error: {how}"}
