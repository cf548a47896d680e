"""A function as Lambda runs it: a pool of execution environments behind `invoke(event)`.

An idle environment is reused (the most recently used first, so one stays warm); a new
one starts only when every environment is busy, up to `max_environments`. Past the cap
an invoke waits up to `max_wait_seconds` for an environment to free (AWS would scale
far beyond a laptop's cap, so waiting stands in for capacity the cloud would have), then
answers `Failure.THROTTLED`, as Lambda answers 429 at its concurrency limit.

A timed-out, crashed or failed-to-init environment is discarded; the next invoke starts
a fresh one. A caller that stops waiting (its client went away) does not stop the
invocation: it runs to its end, as on Lambda, and only then frees its environment.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from local.aws.lambda_.execution import ROOT, ExecutionEnvironment, LogSink
from local.aws.lambda_.invoke import Failure, Invocation
from local.aws.moto_server import FAKE_CREDENTIALS
from local.aws.topology import ACCOUNT, REGION, FunctionSpec

INIT_TIMEOUT_SECONDS = 10.0  # Lambda's limit on an on-demand init
# Inherited from the emulator's own environment: what a process needs to run at all.
# Nothing else is (a developer's AWS_PROFILE or REDIS_URL must not reach a function).
PASSED_THROUGH = ("PATH", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR")


def write_line(line: str) -> None:
    """The default log sink: the emulator's stdout."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def runtime_environment(
    spec: FunctionSpec,
    environment: Mapping[str, str],
    *,
    timeout_seconds: float,
    endpoint_url: str = "",
    log_stream: str = "",
) -> dict[str, str]:
    """The variables a process of `spec` sees: the function's own (`environment`, as the
    stack sets them) and the runtime's, which the function cannot override on Lambda."""
    runtime = {
        "AWS_LAMBDA_FUNCTION_NAME": spec.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        "AWS_LAMBDA_FUNCTION_TIMEOUT": str(max(1, round(timeout_seconds))),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_python{sys.version_info[0]}.{sys.version_info[1]}",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        **FAKE_CREDENTIALS,
        # The emulator's ~/.aws/config (a profile, a region) must not apply either.
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "_HANDLER": spec.handler,
        "LAMBDA_TASK_ROOT": str(ROOT),
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",  # log lines as they happen, as Lambda's runtime does
        "TZ": ":UTC",
    }
    if endpoint_url:
        runtime["AWS_ENDPOINT_URL"] = endpoint_url
    inherited = {k: v for k, v in os.environ.items() if k in PASSED_THROUGH}
    return {**inherited, **environment, **runtime}


class FunctionPool:
    """`Invoker` for one function (`spec.handler`) in up to `max_environments` processes."""

    def __init__(
        self,
        spec: FunctionSpec,
        environment: Mapping[str, str],
        *,
        max_environments: int = 3,
        timeout_seconds: float | None = None,
        init_timeout_seconds: float = INIT_TIMEOUT_SECONDS,
        max_wait_seconds: float = 10.0,
        endpoint_url: str = "",
        log: LogSink = write_line,
    ) -> None:
        self.name = spec.name
        self.spec = spec
        self.timeout_seconds = float(timeout_seconds or spec.timeout_seconds)
        self.arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{spec.name}"
        self._environment = dict(environment)
        self._endpoint_url = endpoint_url
        self._max = max_environments
        self._init_timeout = init_timeout_seconds
        self._max_wait = max_wait_seconds
        self._log = log
        self._idle: list[ExecutionEnvironment] = []
        self._all: set[ExecutionEnvironment] = set()
        self._reserved = 0  # environments running or starting: never above _max
        self._freed = asyncio.Condition()
        self._running: set[asyncio.Task[Invocation]] = set()
        self._closed = False
        self.started = 0  # environments started so far (each one init)

    def pids(self) -> list[int]:
        """The processes of the environments alive now."""
        return [env.pid for env in self._all if env.pid is not None and env.alive]

    async def invoke(self, event: dict[str, Any]) -> Invocation:
        run = asyncio.create_task(self._invoke(event))
        self._running.add(run)
        run.add_done_callback(self._running.discard)
        # shield: a cancelled caller leaves the invocation running to its end.
        return await asyncio.shield(run)

    async def warm(self) -> Invocation:
        """Start one environment now (unless one is idle or the pool is full): its init
        outcome, `Failure.INIT` included."""
        async with self._freed:
            if self._closed or self._idle or self._reserved >= self._max:
                return Invocation()
            self._reserved += 1
        env, failed = await self._start()
        if env is not None:
            await self._release(env)
        return failed or Invocation()

    async def close(self, grace_seconds: float = 2.0) -> None:
        """Stop every environment: SIGTERM, then SIGKILL after `grace_seconds`."""
        async with self._freed:
            self._closed = True
            self._freed.notify_all()
        self._idle.clear()
        await asyncio.gather(*(env.stop(grace_seconds) for env in list(self._all)))
        if self._running:
            await asyncio.wait(self._running, timeout=grace_seconds + 5)

    async def _invoke(self, event: dict[str, Any]) -> Invocation:
        env = await self._acquire()
        if isinstance(env, Invocation):  # throttled, closed, or a new one failed its init
            return env
        try:
            return await env.invoke(event, self.timeout_seconds)
        finally:
            await self._release(env)

    async def _acquire(self) -> ExecutionEnvironment | Invocation:
        """An idle environment or a new one; else why there is none."""
        deadline = asyncio.get_running_loop().time() + self._max_wait
        async with self._freed:
            while True:
                if self._closed:
                    return Invocation(failure=Failure.CRASH, detail="the function is shut down")
                if self._idle:
                    return self._idle.pop()
                if self._reserved < self._max:
                    self._reserved += 1
                    break
                try:
                    async with asyncio.timeout_at(deadline):
                        await self._freed.wait()
                except TimeoutError:
                    busy = f"{self._max} environments busy for {self._max_wait:g} s"
                    return Invocation(failure=Failure.THROTTLED, detail=f"Rate Exceeded: {busy}")
        env, failed = await self._start()
        return env or failed  # type: ignore[return-value]

    async def _start(self) -> tuple[ExecutionEnvironment | None, Invocation | None]:
        """A new environment in a reserved slot, or its init failure (the slot freed)."""
        self.started += 1
        stream = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
        environ = runtime_environment(
            self.spec,
            self._environment,
            timeout_seconds=self.timeout_seconds,
            endpoint_url=self._endpoint_url,
            log_stream=stream,
        )
        env = ExecutionEnvironment(
            label=f"{self.name}/{self.started}",
            handler=self.spec.handler,
            environ=environ,
            arn=self.arn,
            log=self._log,
        )
        self._all.add(env)
        try:
            failed = await env.start(self._init_timeout)
        except BaseException:  # cancelled mid-init: leave no process behind
            await env.stop(grace=0)
            await self._forget(env)
            raise
        if failed is not None:
            await self._forget(env)
            return None, failed
        return env, None

    async def _release(self, env: ExecutionEnvironment) -> None:
        if not env.alive or self._closed:
            if env.alive:
                await env.stop()
            await self._forget(env)
            return
        async with self._freed:
            self._idle.append(env)
            self._freed.notify()

    async def _forget(self, env: ExecutionEnvironment) -> None:
        async with self._freed:
            if env in self._all:
                self._all.discard(env)
                self._reserved -= 1
            self._freed.notify()
