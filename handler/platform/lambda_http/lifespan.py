"""Drive an ASGI app's lifespan by hand: startup once, shutdown once, on a loop we own.

Mangum (lifespan="auto") runs startup and shutdown around every invocation; this runner
lets the Lambda entry points enter it once per execution environment instead.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.types import ASGIApp, Message


class LifespanError(RuntimeError):
    """The application's lifespan startup or shutdown failed."""


class LifespanRunner:
    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        self._inbox: asyncio.Queue[Message] = asyncio.Queue()
        self._outbox: asyncio.Queue[Message] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.state: dict[str, Any] = {}
        self.started = False

    async def startup(self) -> None:
        scope = {
            "type": "lifespan",
            "asgi": {"version": "3.0", "spec_version": "2.0"},
            "state": self.state,
        }
        self._task = asyncio.get_running_loop().create_task(self._run(scope))
        await self._inbox.put({"type": "lifespan.startup"})
        message = await self._outbox.get()
        if message["type"] != "lifespan.startup.complete":
            await asyncio.gather(self._task, return_exceptions=True)
            raise LifespanError(f"lifespan startup failed: {message.get('message', '')}")
        self.started = True

    async def shutdown(self) -> None:
        if not self.started or self._task is None:
            return
        self.started = False
        await self._inbox.put({"type": "lifespan.shutdown"})
        message = await self._outbox.get()
        await asyncio.gather(self._task, return_exceptions=True)
        if message["type"] != "lifespan.shutdown.complete":
            raise LifespanError(f"lifespan shutdown failed: {message.get('message', '')}")

    async def _run(self, scope: dict[str, Any]) -> None:
        try:
            await self._app(scope, self._inbox.get, self._outbox.put)
        except BaseException as exc:
            # Starlette reports the failure itself and then re-raises; this covers apps
            # that raise without a word, so a waiting startup() never hangs.
            await self._outbox.put({"type": "lifespan.startup.failed", "message": repr(exc)})
            raise
