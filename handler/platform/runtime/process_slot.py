"""`ProcessSlot`: the one value of a kind a process uses from module-level functions (the
hub `broadcast()` reaches, the fan-out, the subscription publisher), set for a block (an
app's lifespan) or from now on (a Lambda function's init)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

T = TypeVar("T")


class ProcessSlot(Generic[T]):
    def __init__(self) -> None:
        self.value: T | None = None

    def set(self, value: T | None) -> None:
        """`value` from now on; None leaves the process without one."""
        self.value = value

    @contextmanager
    def installed(self, value: T) -> Iterator[T]:
        """`value` while the block runs, then the one before it (unless another block
        has replaced it meanwhile: that one stays)."""
        previous, self.value = self.value, value
        try:
            yield value
        finally:
            if self.value is value:
                self.value = previous
