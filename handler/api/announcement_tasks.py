"""The announcement task: a broadcast to every chat client and an event to the GraphQL
`announcement` subscriptions, run by the task system.

No FastAPI here: the worker Lambda imports this module alone. On AWS the worker runs
outside the VPC, so it reaches the @connections API that the HTTP function (in the VPC,
for Redis) cannot; locally the task runs in the server's process and reaches its sockets.
"""

from __future__ import annotations

import logging

from handler.platform.graphql_ws.publishing import publish
from handler.platform.realtime import broadcast
from handler.platform.tasks import task

logger = logging.getLogger(__name__)

PREFIX = "Announcement: "


@task
async def broadcast_announcement(text: str) -> None:
    # Not raised on partial failure: a retry would repeat the text to everyone who got it.
    result = await broadcast(PREFIX + text)
    logger.info(
        "announcement: %d sent, %d gone, %d failed", result.sent, result.gone, result.failed
    )
    await publish("announcement", {"text": text})  # `subscription { announcement { text } }`
