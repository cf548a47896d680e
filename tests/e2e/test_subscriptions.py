"""GraphQL subscriptions through the stack: a `gql` client on the WebSocket API
(graphql-transport-ws), an event published by a task on the worker, `next` through
@connections to the client's async iterator.

The event is the `publish_subscription_event` task sent to the task queue as the HTTP
function sends it. (An HTTP write would queue the same task, but writes need a token the
emulator cannot issue yet.)
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from gql import Client, gql
from gql.transport.websockets import WebsocketsTransport

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


def test_a_gql_client_hears_an_event_the_worker_published(stack: Stack) -> None:
    text = f"e2e-{uuid.uuid4().hex[:8]}"

    async def scenario() -> dict[str, Any]:
        transport = WebsocketsTransport(
            url=stack["WebSocketUrl"], subprotocols=["graphql-transport-ws"]
        )
        async with Client(transport=transport) as session:
            stream = session.subscribe(gql("subscription { announcement { text } }"))
            first = asyncio.ensure_future(anext(stream))
            # The byTopic index is eventually consistent (DynamoDB): publish until heard.
            for _ in range(int(WAIT)):
                await asyncio.to_thread(_publish, stack, "announcement", {"text": text})
                done, _ = await asyncio.wait({first}, timeout=3)
                if done:
                    break
            result: dict[str, Any] = await asyncio.wait_for(first, 1)
            await stream.aclose()
            return result

    assert asyncio.run(scenario()) == {"announcement": {"text": text}}
