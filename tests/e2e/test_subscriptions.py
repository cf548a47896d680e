"""GraphQL subscriptions through the stack: a `gql` client on the WebSocket API
(graphql-transport-ws), an event published by a task on the worker, `next` through
@connections to the client's async iterator.

The issue's path: a user created with `POST /api/v2/users` (signed in through the
stack's user pool) -> the `publish_subscription_event` task on SQS -> the worker ->
@connections -> the client's iterator. And the task alone, sent to the queue as the HTTP
function sends it.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from gql import Client, gql
from gql.transport.websockets import WebsocketsTransport

from tests.e2e.conftest import Users
from tests.support.stack import Stack

WAIT = 30.0


def _publish(stack: Stack, topic: str, payload: dict[str, Any]) -> None:
    envelope = {
        "v": 1,
        "id": uuid.uuid4().hex,
        "name": "publish_subscription_event",
        "args": [topic, payload],
        "kwargs": {},
        "enqueued_at": datetime.now(UTC).isoformat(),
        "attempt": 1,
    }
    stack.client("sqs").send_message(
        QueueUrl=stack.queue_url("TaskQueueUrl"), MessageBody=json.dumps(envelope)
    )


async def _first_event(
    stack: Stack, query: str, trigger: Callable[[], object], wanted: Callable[[Any], bool]
) -> Any:
    """Subscribe with gql; run `trigger` until an event `wanted` arrives. Others are
    skipped: the topic's events of other tests may still be on their way, and the byTopic
    index is eventually consistent, so an event right after `subscribe` may miss it."""
    transport = WebsocketsTransport(
        url=stack["WebSocketUrl"], subprotocols=["graphql-transport-ws"]
    )
    async with Client(transport=transport) as session:
        stream = session.subscribe(gql(query))
        found: list[Any] = []

        async def listen() -> None:
            async for event in stream:
                if wanted(event):
                    found.append(event)
                    return

        listener = asyncio.ensure_future(listen())
        for _ in range(int(WAIT / 3)):
            await asyncio.to_thread(trigger)
            done, _ = await asyncio.wait({listener}, timeout=3)
            if done:
                break
        await asyncio.wait_for(listener, 1)
        await stream.aclose()
        return found[0]


def test_a_user_created_over_http_reaches_a_gql_subscriber(stack: Stack, users: Users) -> None:
    creator = users.new("subscriber")  # its own create limit (10 a minute per subject)
    names: list[str] = []
    answers: list[int] = []  # a create that failed is tried again with the next attempt

    def create() -> None:
        name = f"Sub{uuid.uuid4().hex[:8]}"
        body = {"name": name, "email": f"{name.lower()}@example.com", "age": 5}
        answer = httpx.post(
            f"{stack['HttpUrl']}api/v2/users", json=body, headers=creator.headers, timeout=WAIT
        )
        answers.append(answer.status_code)
        if answer.status_code == 201:
            names.append(name)

    query = "subscription { userCreated { id name } }"
    event = asyncio.run(
        _first_event(stack, query, create, lambda e: e["userCreated"]["name"] in names)
    )
    assert event["userCreated"]["name"] in names, answers


def test_a_gql_client_hears_an_event_the_worker_published(stack: Stack) -> None:
    text = f"e2e-{uuid.uuid4().hex[:8]}"
    query = "subscription { announcement { text } }"
    event = asyncio.run(
        _first_event(
            stack,
            query,
            lambda: _publish(stack, "announcement", {"text": text}),
            lambda e: e == {"announcement": {"text": text}},
        )
    )
    assert event == {"announcement": {"text": text}}
