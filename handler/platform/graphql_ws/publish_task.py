"""The task that publishes a subscription event: `tasks.add_task(publish_subscription_event,
"userChanged", {"id": 1, ...}, {"id": 1})` from a route or a service.

Locally it runs in the server's process after the response; on AWS the worker runs it
(it can reach @connections). No FastAPI and no strawberry at import: the worker imports
this module by name.
"""

from __future__ import annotations

from typing import Any

from handler.platform.graphql_ws.publishing import publish
from handler.platform.tasks import task


@task(name="publish_subscription_event")
async def publish_subscription_event(
    topic: str, payload: dict[str, Any], filters: dict[str, Any] | None = None
) -> None:
    """Deliver `payload` to the subscriptions of `topic` whose filters match `filters`.
    Not raised on a partial failure: a retry would send `next` again to those who got it
    (delivery is at least once all the same: SQS may deliver this task twice)."""
    await publish(topic, payload, filters)
