"""Functions behind the emulated gateways in their tests: `FakeFunction` (records events,
answers as scripted), `InProcessFunction` (a real Lambda entry's handler called in a
thread of this process) and `fresh_entry` (an entry module imported as Lambda's init
does), and `GATEWAY_ID`, the shape of an API Gateway id. The real execution
environments are tested in tests/local/aws/lambda_/test_functions.py."""

from __future__ import annotations

import asyncio
import importlib
import json
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

from local.aws.lambda_.context import LambdaContext
from local.aws.lambda_.invoke import Failure, Invocation

Event = dict[str, Any]

# The handlers share this process's one environment loop: one event at a time in all.
_one_at_a_time = threading.Lock()

# API Gateway request and connection ids: 15 URL-safe characters and a trailing "=".
GATEWAY_ID = re.compile(r"[A-Za-z0-9_-]{15}=")


class FakeFunction:
    """An Invoker answering `answer(event)` (a payload, or an Invocation) after `delay`."""

    name = "fake"

    def __init__(self, answer: Callable[[Event], Any] | None = None, *, delay: float = 0.0) -> None:
        self.answer = answer or (lambda event: {"statusCode": 200})
        self.delay = delay
        self.events: list[Event] = []

    async def invoke(self, event: Event) -> Invocation:
        self.events.append(event)
        if self.delay:
            await asyncio.sleep(self.delay)
        result = self.answer(event)
        return result if isinstance(result, Invocation) else Invocation(payload=result)

    def routes(self) -> list[str]:
        return [event["requestContext"]["routeKey"] for event in self.events]

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Event]:
        """The first `count` events, once they have arrived."""
        deadline = time.monotonic() + timeout
        while len(self.events) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.events)} events, not {count}: {self.routes()}")
            time.sleep(0.01)
        return self.events[:count]


class InProcessFunction:
    """A Lambda entry's `handler(event, context)` as an Invoker: run in a worker thread,
    one event at a time, its answer passed through JSON as Lambda passes it."""

    def __init__(self, name: str, handler: Callable[[Event, Any], Any]) -> None:
        self.name = name
        self.handler = handler

    async def invoke(self, event: Event) -> Invocation:
        started = time.perf_counter()
        try:
            payload = await asyncio.to_thread(self._call, event)
        except Exception as exc:
            return Invocation(failure=Failure.HANDLER, detail=repr(exc))
        duration_ms = (time.perf_counter() - started) * 1000
        return Invocation(payload=json.loads(json.dumps(payload)), duration_ms=duration_ms)

    def _call(self, event: Event) -> Any:
        with _one_at_a_time:
            return self.handler(event, LambdaContext(function_name=self.name))


@contextmanager
def fresh_entry(name: str) -> Iterator[ModuleType]:
    """`name` (`handler.lambda_http`, ...) imported afresh, its import being the init, with
    the settings of the environment now. Afterwards the module another test may have
    imported is put back, and pytest keeps its SIGTERM handler (entries install Lambda's)."""
    import handler

    attribute = name.rpartition(".")[2]
    prior = sys.modules.pop(name, None)
    previous = signal.getsignal(signal.SIGTERM)
    try:
        module = importlib.import_module(name)
    finally:
        signal.signal(signal.SIGTERM, previous)
    try:
        yield module
    finally:
        if prior is None:
            sys.modules.pop(name, None)
            vars(handler).pop(attribute, None)
        else:
            sys.modules[name] = prior
            setattr(handler, attribute, prior)
