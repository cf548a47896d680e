"""The execution environment's event loop: one per process, created once, reused by every
invocation.

Lambda runs one event at a time per environment, and the entry points are synchronous:
each runs its coroutine on this loop. One loop (not `asyncio.run` per event) keeps what
was bound to it alive between invocations (the lifespan's pools, the hub's clients). It is
set as the thread's current loop, so libraries that ask for "the" loop get this one.
The loop belongs to the process, not to an adapter: nothing closes it but process exit.
"""

from __future__ import annotations

import asyncio
import threading

_loop: asyncio.AbstractEventLoop | None = None
_lock = threading.Lock()


def environment_loop() -> asyncio.AbstractEventLoop:
    """This process's loop, made current; a new one only on the first call (or if
    someone closed it)."""
    global _loop  # noqa: PLW0603 - one loop per process is the point
    with _lock:
        if _loop is None or _loop.is_closed():
            _loop = asyncio.new_event_loop()
        # Again on every call: `asyncio.run` elsewhere in the process unsets it.
        asyncio.set_event_loop(_loop)
        return _loop
