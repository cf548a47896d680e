"""What the emulator checks before it says it is ready: each function's environment is
settings the app accepts, and the Redis it was given answers.

Without this a bad `--redis-url` printed the URLs and then every request answered 500.
Each function's variables are checked in a child process that sees exactly what that
function's execution environments see (`runtime_environment`), by the app's own
`get_settings()`, so the answer is the one the function's init would give.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Mapping

from local.aws.lambda_.execution import ROOT
from local.aws.lambda_.functions import runtime_environment
from local.aws.topology import FunctionSpec

CHECK = "from handler.settings import get_settings; get_settings()"
CHECK_SECONDS = 30.0


class NotReady(Exception):
    """The emulator cannot serve as configured; the message is one line for the user."""


async def check_settings(environments: Mapping[FunctionSpec, Mapping[str, str]]) -> None:
    """Raise `NotReady` naming the first function whose settings the app refuses."""
    problems = await asyncio.gather(
        *(_refusal(spec, environment) for spec, environment in environments.items())
    )
    for spec, problem in zip(environments, problems, strict=True):
        if problem:
            raise NotReady(f"the {spec.name} function's settings: {problem}")


async def _refusal(spec: FunctionSpec, environment: Mapping[str, str]) -> str:
    env = runtime_environment(spec, environment, timeout_seconds=spec.timeout_seconds)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CHECK,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(CHECK_SECONDS):
            _, stderr = await process.communicate()
    except TimeoutError:
        process.kill()
        await process.wait()
        return f"reading them took over {CHECK_SECONDS:g} s"
    if process.returncode == 0:
        return ""
    lines = stderr.decode(errors="replace").strip().splitlines() or ["(no output)"]
    # The traceback's last line: `handler.settings.ConfigError: invalid configuration: ...`.
    return lines[-1].split(": ", 1)[-1] if "Error: " in lines[-1] else lines[-1]


REDIS_SECONDS = 3.0


async def check_redis(url: str) -> None:
    """Raise `NotReady` unless the Redis at `url` answers PING within `REDIS_SECONDS`."""
    if not url:
        return
    import redis.asyncio

    client = redis.asyncio.Redis.from_url(
        url, socket_connect_timeout=REDIS_SECONDS, socket_timeout=REDIS_SECONDS
    )
    try:
        async with asyncio.timeout(REDIS_SECONDS * 2):
            await client.ping()
    except (redis.RedisError, OSError, TimeoutError) as exc:
        detail = str(exc) or type(exc).__name__
        raise NotReady(f"--redis-url {url}: no Redis answers there ({detail})") from None
    finally:
        await client.aclose()
