"""An ASGI app built on its first request.

Cold start pays for every import in the init phase; a sub-app whose library is heavy
(strawberry and graphql-core cost ~170 ms) is built only when a request needs it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send


class LazyApp:
    def __init__(self, factory: Callable[[], ASGIApp]) -> None:
        self._factory = factory
        self._app: ASGIApp | None = None
        self._lock = asyncio.Lock()

    def prepare(self) -> None:
        """Build it now (SnapStart's init: the snapshot then holds it)."""
        if self._app is None:
            self._app = self._factory()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._app is None:
            async with self._lock:
                if self._app is None:
                    self._app = self._factory()
        await self._app(scope, receive, send)
