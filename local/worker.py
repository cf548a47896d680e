"""`python -m local worker`: the AWS task path on a laptop.

Long-polls TASK_QUEUE_URL (moto server or LocalStack through AWS_ENDPOINT_URL) with the
emulator's event source mapping (`local.aws.sqs`), hands each batch to
`handler.lambda_worker.handler`, imported here, as the SQS event Lambda would send, and
deletes what it acknowledged. Batch item failures stay on the queue and come back after
the visibility timeout, as with Lambda's event source mapping.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from handler.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

logger = logging.getLogger(__name__)


def poller_client(settings: Settings, wait_seconds: int) -> SQSClient:
    """An SQS client whose read timeout outlasts the long poll: the server answers an idle
    ReceiveMessage only after `wait_seconds`."""
    from handler.platform.aws.clients import BACKGROUND, ClientOptions, aws_client, region_from_url

    options: ClientOptions = {
        **BACKGROUND,
        "read_timeout": wait_seconds + 10,
        "endpoint_url": settings.aws_endpoint_url or None,
        "region": region_from_url(settings.task_queue_url),
    }
    return aws_client("sqs", **options)


def run(settings: Settings, *, wait_seconds: int = 20, max_polls: int | None = None) -> None:
    """Poll until interrupted (or `max_polls` polls, for tests)."""
    if not settings.task_queue_url:
        raise SystemExit("python -m local worker needs TASK_QUEUE_URL (and AWS_ENDPOINT_URL)")
    from handler import lambda_worker
    from local.aws.lambda_.in_process import InProcessFunction
    from local.aws.sqs.event_source import SqsEventSource

    client = poller_client(settings, wait_seconds)
    source = SqsEventSource(
        InProcessFunction("worker", lambda_worker.handler),
        queue_url=settings.task_queue_url,
        endpoint_url=settings.aws_endpoint_url,
        region=client.meta.region_name,
        poll_seconds=wait_seconds,
        client=client,
        log=logger.info,
    )

    async def poll() -> None:
        # Said once the loop runs: a Ctrl+C from then on is asyncio.run's to handle (one
        # that lands while the loop is being built leaves a half-made loop's traceback).
        logger.info("polling %s", settings.task_queue_url)
        await source.run(max_polls)

    asyncio.run(poll())
