"""`CountedSender`: any `Sender`, counting each post's outcome.

A wrapper rather than code in each sender: the boto3 reference sender and the signed
one must count the same way, and a test's fake sender is counted too.
`ConnectionPostsSent`, `ConnectionPostsGone` (410: the connection is forgotten) and
`ConnectionPostsFailed` (anything else; the error is re-raised unchanged).
"""

from __future__ import annotations

from handler.platform.metrics.names import (
    CONNECTION_POSTS_FAILED,
    CONNECTION_POSTS_GONE,
    CONNECTION_POSTS_SENT,
)
from handler.platform.metrics.recorder import Metrics
from handler.platform.realtime.ports import Sender
from handler.platform.realtime.types import ConnectionGone


class CountedSender(Sender):
    def __init__(self, sender: Sender, *, metrics: Metrics) -> None:
        self.sender = sender
        self.metrics = metrics

    async def send(self, connection_id: str, text: str) -> None:
        try:
            await self.sender.send(connection_id, text)
        except ConnectionGone:
            self.metrics.count(CONNECTION_POSTS_GONE)
            raise
        except BaseException:
            self.metrics.count(CONNECTION_POSTS_FAILED)
            raise
        self.metrics.count(CONNECTION_POSTS_SENT)

    async def hang_up(self, connection_id: str) -> None:
        await self.sender.hang_up(connection_id)

    async def close(self) -> None:
        await self.sender.close()
