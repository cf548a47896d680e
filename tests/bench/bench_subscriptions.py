"""GraphQL subscriptions: one event to 1,000 subscriptions, as the worker publishes it.

The publisher reads the topic's subscriptions (memory store here: the DynamoDB Query is
the store's), executes each distinct (operation, variables) once, and posts `next` to
each subscriber through the production @connections sender and the hub's bounded
concurrency, against the 20 ms stand-in of bench_ws (another process).

1. 1,000 identical subscriptions: goal <= 1.5 s, and the operation executed once.
2. 1,000 subscriptions, each with its own variables: 1,000 executions (reported).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncGenerator
from functools import partial

import strawberry

from handler.platform.graphql_ws.cost_limits import GraphQLLimits
from handler.platform.graphql_ws.memory_store import MemorySubscriptionStore
from handler.platform.graphql_ws.operations import Operations, Prepared, event
from handler.platform.graphql_ws.publisher import Publisher
from handler.platform.graphql_ws.subscription_store import Subscription, topic_key
from handler.platform.realtime import Hub
from handler.platform.realtime.registries.memory import MemoryRegistry
from handler.platform.realtime.senders.signed_http import SignedHttpSender
from tests.bench.common import record, show, spread
from tests.support.counted_operations import CountedOperations

TARGETS = 1_000
POST_DELAY = 0.020
REPEATS = 3
LIMITS = GraphQLLimits(max_body_bytes=65_536, max_tokens=2000, max_depth=10, max_aliases=30)


@strawberry.type
class Tick:
    id: int
    name: str

    @strawberry.field
    def label(self, prefix: str) -> str:
        return f"{prefix}{self.name}"


@strawberry.type
class BenchQuery:
    ok: bool = True


@strawberry.type
class BenchSubscription:
    @strawberry.subscription
    async def ticked(self, info: strawberry.Info) -> AsyncGenerator[Tick, None]:
        yield Tick(**event(info))


def _operations() -> CountedOperations:
    schema = strawberry.Schema(query=BenchQuery, subscription=BenchSubscription)
    return CountedOperations(Operations(schema._schema, limits=LIMITS))


def _store(operations: CountedOperations, *, distinct: bool) -> MemorySubscriptionStore:
    store = MemorySubscriptionStore()
    query = "subscription($p: String!) { ticked { id name label(prefix: $p) } }"
    for i in range(TARGETS):
        prepared = operations.prepare(query, {"p": f"#{i}: " if distinct else "#"}, None)
        assert isinstance(prepared, Prepared), prepared
        key = topic_key(prepared.topic, prepared.filters)
        subscription = Subscription(f"conn-{i}", "1", key, prepared.query, prepared.variables)
        asyncio.run(store.add(subscription))
    return store


def _same(operations: CountedOperations) -> CountedOperations:
    return operations


def _publish(publisher: Publisher, operations: CountedOperations) -> tuple[float, int]:
    operations.executions = 0
    started = time.perf_counter()
    outcome = asyncio.run(publisher.deliver("ticked", {"id": 1, "name": "Patrick"}))
    seconds = time.perf_counter() - started
    assert outcome.sent == TARGETS, outcome
    return seconds, operations.executions


def main() -> None:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    stub = subprocess.Popen(
        [sys.executable, "-m", "tests.bench.ws_peers", "stub", str(POST_DELAY)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert stub.stdout is not None
        endpoint = f"http://127.0.0.1:{stub.stdout.readline().strip()}"
        sender = SignedHttpSender(endpoint, concurrency=64, region_name="us-east-1")
        hub = Hub(MemoryRegistry(), sender, concurrency=64)
        results: dict[str, tuple[list[float], int]] = {}
        for name, distinct in (("identical", False), ("distinct", True)):
            operations = _operations()
            store = _store(operations, distinct=distinct)
            publisher = Publisher(store, partial(_same, operations), hub)
            _publish(publisher, operations)  # warm-up: pool connections opened
            runs = [_publish(publisher, operations) for _ in range(REPEATS)]
            results[name] = ([seconds for seconds, _ in runs], runs[-1][1])
        asyncio.run(sender.close())
    finally:
        stub.terminate()
        stub.wait()
    same, executions = results["identical"]
    show(
        f"{TARGETS} identical subscriptions, 20 ms posts",
        statistics.median(same),
        "ms",
        f"{spread(same)}  executions: {executions}  target: <= 1500 ms, 1 execution",
    )
    different, executions = results["distinct"]
    show(
        f"{TARGETS} subscriptions, {TARGETS} variables",
        statistics.median(different),
        "ms",
        f"{spread(different)}  executions: {executions}",
    )
    record("subscriptions", "1,000 identical", statistics.median(same))
    record("subscriptions", "1,000 distinct variables", statistics.median(different))


if __name__ == "__main__":
    main()
