"""Sessions and subscriptions in DynamoDB (`SUBSCRIPTIONS_TABLE`).

Table: partition key `connectionId` (S), sort key `sk` (S): `session` for the session's
row, `sub#<operation id>` for each subscription; TTL attribute `ttl`. The global
secondary index `byTopic` (partition key `topic`, projection ALL) holds subscription
rows only (a session has no `topic`), so a publish is a Query per topic key, never a
Scan. Dropping a connection is a Query on its partition and batched deletes.

GSI reads are eventually consistent: a subscription is reached by publishes made from
about a second after its `subscribe`. Every read filters on `ttl` itself (DynamoDB
deletes expired items lazily).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from handler.platform.aws.dynamodb_table import DynamoDBTable
from handler.platform.graphql_ws.subscription_store import (
    DuplicateSubscription,
    Session,
    StoreError,
    Subscription,
    SubscriptionStore,
)

TOPIC_INDEX = "byTopic"
SESSION = "session"
_SUB = "sub#"


class DynamoDBSubscriptionStore(DynamoDBTable, SubscriptionStore):
    """`client`: injected, or the shared one built on first use (`endpoint_url`)."""

    async def open(self, session: Session) -> None:
        item: dict[str, Any] = {
            **_key(session.connection_id, SESSION),
            "connectedAt": {"N": repr(session.connected_at)},
        }
        if session.ttl is not None:
            item["ttl"] = {"N": str(session.ttl)}
        await self._call("put_item", TableName=self.table_name, Item=item)

    async def session(self, connection_id: str, *, now: float) -> Session | None:
        answer = await self._call(
            "get_item",
            TableName=self.table_name,
            Key=_key(connection_id, SESSION),
            ConsistentRead=True,  # the first message may follow $connect by milliseconds
        )
        item = answer.get("Item")
        if not item or not _live(item, now):
            return None
        subject = item.get("subject", {}).get("S")
        return Session(
            connection_id,
            float(item["connectedAt"]["N"]),
            initialised="initialisedAt" in item,
            subject=subject,
            ttl=_ttl(item),
        )

    async def initialise(self, connection_id: str, subject: str | None) -> bool:
        names = "SET initialisedAt = :now" + (", subject = :subject" if subject else "")
        values: dict[str, Any] = {":now": {"N": repr(time.time())}}
        if subject:
            values[":subject"] = {"S": subject}
        try:
            await asyncio.to_thread(
                self.client.update_item,
                TableName=self.table_name,
                Key=_key(connection_id, SESSION),
                UpdateExpression=names,
                ConditionExpression="attribute_exists(sk) AND attribute_not_exists(initialisedAt)",
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if _code(exc) == "ConditionalCheckFailedException":
                return False
            raise StoreError(f"update_item {self.table_name}: {exc}") from exc
        except BotoCoreError as exc:
            raise StoreError(f"update_item {self.table_name}: {exc}") from exc
        return True

    async def subscribed(self, connection_id: str, operation_id: str) -> bool:
        answer = await self._call(
            "get_item",
            TableName=self.table_name,
            Key=_key(connection_id, _SUB + operation_id),
            ConsistentRead=True,
            ProjectionExpression="sk",
        )
        return "Item" in answer

    async def count(self, connection_id: str) -> int:
        answer = await self._call(
            "query",
            TableName=self.table_name,
            KeyConditionExpression="connectionId = :id AND begins_with(sk, :sub)",
            ExpressionAttributeValues={":id": {"S": connection_id}, ":sub": {"S": _SUB}},
            Select="COUNT",
            ConsistentRead=True,
        )
        return int(answer.get("Count", 0))

    async def add(self, subscription: Subscription) -> None:
        item: dict[str, Any] = {
            **_key(subscription.connection_id, _SUB + subscription.operation_id),
            "topic": {"S": subscription.topic_key},
            "query": {"S": subscription.query},
            "variables": {"S": json.dumps(subscription.variables, separators=(",", ":"))},
        }
        if subscription.operation_name:
            item["operationName"] = {"S": subscription.operation_name}
        if subscription.ttl is not None:
            item["ttl"] = {"N": str(subscription.ttl)}
        try:
            await asyncio.to_thread(
                self.client.put_item,
                TableName=self.table_name,
                Item=item,
                ConditionExpression="attribute_not_exists(sk)",
            )
        except ClientError as exc:
            if _code(exc) == "ConditionalCheckFailedException":
                raise DuplicateSubscription(subscription.operation_id) from None
            raise StoreError(f"put_item {self.table_name}: {exc}") from exc
        except BotoCoreError as exc:
            raise StoreError(f"put_item {self.table_name}: {exc}") from exc

    async def remove(self, connection_id: str, operation_id: str) -> None:
        key = _key(connection_id, _SUB + operation_id)
        await self._call("delete_item", TableName=self.table_name, Key=key)

    async def drop(self, connection_id: str) -> None:
        await asyncio.to_thread(self._drop, connection_id)

    def _drop(self, connection_id: str) -> None:
        pages = self.client.get_paginator("query").paginate(
            TableName=self.table_name,
            KeyConditionExpression="connectionId = :id",
            ExpressionAttributeValues={":id": {"S": connection_id}},
            ProjectionExpression="connectionId, sk",
            ConsistentRead=True,
        )
        try:
            keys = [item for page in pages for item in page.get("Items", [])]
            for start in range(0, len(keys), 25):
                requests = [{"DeleteRequest": {"Key": key}} for key in keys[start : start + 25]]
                pending: dict[str, Any] = {self.table_name: requests}
                for _ in range(5):  # unprocessed items (throttling) are sent again
                    answer = self.client.batch_write_item(RequestItems=pending)
                    pending = dict(answer.get("UnprocessedItems") or {})
                    if not pending:
                        break
        except (ClientError, BotoCoreError) as exc:
            raise StoreError(f"drop {connection_id} from {self.table_name}: {exc}") from exc

    async def by_topic(self, keys: list[str], *, now: float) -> list[Subscription]:
        found = await asyncio.gather(*(asyncio.to_thread(self._query, key, now) for key in keys))
        return [subscription for batch in found for subscription in batch]

    def _query(self, key: str, now: float) -> list[Subscription]:
        pages = self.client.get_paginator("query").paginate(
            TableName=self.table_name,
            IndexName=TOPIC_INDEX,
            KeyConditionExpression="topic = :topic",
            FilterExpression="attribute_not_exists(#ttl) OR #ttl > :now",
            ExpressionAttributeNames={"#ttl": "ttl"},
            ExpressionAttributeValues={":topic": {"S": key}, ":now": {"N": str(int(now))}},
        )
        try:
            items = [item for page in pages for item in page.get("Items", [])]
        except (ClientError, BotoCoreError) as exc:
            raise StoreError(f"query {self.table_name} {TOPIC_INDEX}: {exc}") from exc
        return [_subscription(item) for item in items if _live(item, now)]

    async def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        try:
            answer: dict[str, Any] = await asyncio.to_thread(
                getattr(self.client, operation), **kwargs
            )
        except (ClientError, BotoCoreError) as exc:
            raise StoreError(f"{operation} {self.table_name}: {exc}") from exc
        return answer


def _key(connection_id: str, sort_key: str) -> dict[str, Any]:
    return {"connectionId": {"S": connection_id}, "sk": {"S": sort_key}}


def _ttl(item: dict[str, Any]) -> int | None:
    ttl = item.get("ttl")
    return int(float(ttl["N"])) if ttl else None


def _live(item: dict[str, Any], now: float) -> bool:
    ttl = _ttl(item)
    return ttl is None or ttl > now


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _subscription(item: dict[str, Any]) -> Subscription:
    return Subscription(
        connection_id=item["connectionId"]["S"],
        operation_id=item["sk"]["S"][len(_SUB) :],
        topic_key=item["topic"]["S"],
        query=item["query"]["S"],
        variables=json.loads(item.get("variables", {}).get("S", "{}")),
        operation_name=item.get("operationName", {}).get("S"),
        ttl=_ttl(item),
    )
