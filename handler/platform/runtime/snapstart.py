"""Lambda SnapStart: hooks around the snapshot of an initialised environment.

With SnapStart, Lambda runs the init once per published version, snapshots the process's
memory, and starts later environments from that snapshot. Whatever the init left behind
is then shared by every restored copy: an open socket (one TCP connection used by many
environments, or a dead one) and the state of `random` (every copy draws the same
numbers). The Lambda runtime provides `snapshot_restore_py` to run hooks before the
snapshot and after each restore (the PyPI package `snapshot-restore-py` has the same API,
for running such an init elsewhere).

`register_snapshot_hooks` registers the caller's coroutines, run on the environment's
loop: `before` closes what holds sockets (pools reconnect on their next use), `after`
renews what must differ between environments. `random` is reseeded here for every caller.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable

from handler.platform.runtime.event_loop import environment_loop

logger = logging.getLogger(__name__)
Hook = Callable[[], Awaitable[None]]


class SnapStartUnavailable(RuntimeError):
    """A SnapStart init without `snapshot_restore_py`: hooks cannot be registered, and a
    snapshot taken without them would share sockets and random state."""


def register_snapshot_hooks(*, before: Hook, after: Hook | None = None) -> None:
    try:
        from snapshot_restore_py import (  # type: ignore[import-untyped]
            register_after_restore,
            register_before_snapshot,
        )
    except ImportError as exc:
        raise SnapStartUnavailable(
            "AWS_LAMBDA_INITIALIZATION_TYPE=snap-start, but snapshot_restore_py is missing:"
            " the Lambda runtime provides it; elsewhere `pip install snapshot-restore-py`"
        ) from exc
    register_before_snapshot(_run, before, "before the snapshot")
    register_after_restore(_after_restore, after)


def _after_restore(after: Hook | None) -> None:
    # The snapshot holds one generator state; each restored environment needs its own.
    # (uuid4 and secrets read os.urandom, fresh in every environment already.)
    random.seed()
    if after is not None:
        _run(after, "after the restore")


def _run(hook: Hook, when: str) -> None:
    # The runtime calls hooks between invocations, so the loop is idle.
    environment_loop().run_until_complete(hook())
    logger.info("SnapStart: %s, done", when)
