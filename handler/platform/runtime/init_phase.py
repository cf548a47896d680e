"""The init phase of an execution environment, without the cyclic garbage collector.

An entry's import builds tens of thousands of objects (modules, classes, schemas, the
app) that live as long as the environment. The collector, triggered by allocation
counts, would walk them again and again during the init (about a tenth of a cold start
here) and find nothing to free. `init_phase()` pauses it for the init, then freezes what
the init built (`gc.freeze`): later collections, during invocations, skip those objects.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def init_phase() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.freeze()
