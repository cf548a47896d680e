"""DynamoDB connection registry: one item per connection, partition key `connectionId` (S).

Item: connectionId (S), clientId (S), connectedAt (N, epoch seconds), ttl (N, epoch
seconds; the table's TTL attribute), closedAt (N, set by `$disconnect`, which keeps the
row a minute so a late `$default` still finds its sender). DynamoDB deletes expired items
lazily (often within days), so every read filters on `ttl` itself.

How it scales: `live()` is a paginated Scan (1 MB pages), so a broadcast reads the whole
table, expired-but-not-yet-deleted rows included: cheap up to a few thousand connections
(about 100 bytes per row, so ~10,000 rows fit in one page). Past that, or to address a
subset (rooms, users), add a GSI with the room as partition key (sharded `room#n` when a
room is very large) and Query it; for very large fan-out, split the Scan into parallel
segments (Segment/TotalSegments) handled by separate tasks.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from handler.platform.aws.dynamodb_table import DynamoDBTable
from handler.platform.realtime.ports import ConnectionRegistry
from handler.platform.realtime.types import Connection, RegistryError

if TYPE_CHECKING:
    pass

__all__ = ["DynamoDBRegistry", "RegistryError"]

_LIVE_FILTER = "attribute_not_exists(closedAt) AND (attribute_not_exists(#ttl) OR #ttl > :now)"


class DynamoDBRegistry(DynamoDBTable, ConnectionRegistry):
    """`client`: injected, or the shared one built on first use (`endpoint_url`: Settings.
    aws_endpoint_url). Its budget is short: a WebSocket event or a broadcast waits on it."""

    async def add(self, connection: Connection) -> None:
        item: dict[str, Any] = {
            "connectionId": {"S": connection.connection_id},
            "clientId": {"S": connection.client_id},
            "connectedAt": {"N": repr(connection.connected_at)},
        }
        if connection.ttl is not None:
            item["ttl"] = {"N": str(connection.ttl)}
        await self._call("put_item", TableName=self.table_name, Item=item)

    async def remove(self, connection_id: str) -> None:
        key = {"connectionId": {"S": connection_id}}
        await self._call("delete_item", TableName=self.table_name, Key=key)

    async def close(self, connection_id: str, *, now: float, keep_until: int) -> None:
        # Conditional: a row already forgotten (a send found it gone) is not recreated.
        try:
            await asyncio.to_thread(
                self.client.update_item,
                TableName=self.table_name,
                Key={"connectionId": {"S": connection_id}},
                UpdateExpression="SET closedAt = :now, #ttl = :keep",
                ConditionExpression="attribute_exists(connectionId)",
                ExpressionAttributeNames={"#ttl": "ttl"},
                ExpressionAttributeValues={
                    ":now": {"N": repr(now)},
                    ":keep": {"N": str(keep_until)},
                },
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return
            raise RegistryError(f"update_item {self.table_name}: {exc}") from exc
        except BotoCoreError as exc:
            raise RegistryError(f"update_item {self.table_name}: {exc}") from exc

    async def get(self, connection_id: str, *, now: float) -> Connection | None:
        # Consistent: a message may follow its $connect by milliseconds.
        answer = await self._call(
            "get_item",
            TableName=self.table_name,
            Key={"connectionId": {"S": connection_id}},
            ConsistentRead=True,
        )
        item = answer.get("Item")
        connection = _from_item(item) if item else None
        return connection if connection is not None and connection.live(now) else None

    async def live(self, *, now: float) -> list[Connection]:
        return await asyncio.to_thread(self._scan, now)

    def _scan(self, now: float) -> list[Connection]:
        pages = self.client.get_paginator("scan").paginate(
            TableName=self.table_name,
            FilterExpression=_LIVE_FILTER,
            ExpressionAttributeNames={"#ttl": "ttl"},
            ExpressionAttributeValues={":now": {"N": str(int(now))}},
        )
        try:
            items = [item for page in pages for item in page.get("Items", [])]
        except (ClientError, BotoCoreError) as exc:
            raise RegistryError(f"scan {self.table_name}: {exc}") from exc
        connections = (_from_item(item) for item in items)
        # The filter compares whole seconds; compare exactly here.
        return [c for c in connections if c.open and c.live(now)]

    async def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        method = getattr(self.client, operation)
        try:
            answer: dict[str, Any] = await asyncio.to_thread(method, **kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise RegistryError(f"{operation} {self.table_name}: {exc}") from exc
        return answer


def _from_item(item: Any) -> Connection:
    ttl, closed_at = item.get("ttl"), item.get("closedAt")
    return Connection(
        connection_id=item["connectionId"]["S"],
        client_id=item.get("clientId", {}).get("S", ""),
        connected_at=float(item.get("connectedAt", {}).get("N", "0")),
        ttl=int(float(ttl["N"])) if ttl else None,
        closed_at=float(closed_at["N"]) if closed_at else None,
    )
