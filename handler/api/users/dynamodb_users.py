"""`DynamoDBUserStore`: users in one DynamoDB table, partition key `pk` (S), no sort key.

Three kinds of item share the table (infra/users.py creates it): a user (`USER#<id>`:
id, name, email, age, version, and `owner`, the creator's subject, absent for nobody's),
the holder of an email (`EMAIL#<email, casefolded>`: user_id) and the id counter
(`COUNTER#users`: last_id).

- Ids: `UpdateItem ADD last_id 1` on the counter, atomic, so no two creates get one id.
- Unique emails: a create is one transaction that puts the user and its email item,
  each only if absent (`attribute_not_exists(pk)`): of two creates with one email,
  DynamoDB lets exactly one commit. A change of email moves the item in the same
  transaction as the user.
- Every write of a user or an email item is conditional: on the version read just before
  (so a concurrent write is never overwritten), and on the If-Match version when given.
- Reads are strongly consistent: a read right after a write, from any process, sees it.
- Listing is a Scan of the `USER#` items (a filter skips the others) in the table's own
  stable order, resumed after the last user returned. The client's cursor carries only
  that id (`handler.api.users.service` seals it); the start key is rebuilt from it. A
  Scan reads the whole table across the pages: fine for thousands of users; past that,
  or for a sorted listing, add a GSI and Query it.

Vendor errors become the resource's: a failed condition becomes `UserNotFound`,
`VersionMismatch` or `EmailTaken`; throttling, timeouts and unreachable endpoints become
`UsersUnavailable`. Anything else (a ValidationException is a bug here) is raised as is.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from handler.api.users.errors import EmailTaken, UserNotFound, UsersUnavailable, VersionMismatch
from handler.api.users.models import NewUser, User, UserChanges, email_key
from handler.api.users.user_store import UserPage, UserStore
from handler.platform.aws.dynamodb_table import DynamoDBTable

if TYPE_CHECKING:
    pass

logger = logging.getLogger(__name__)
T = TypeVar("T")

USER, EMAIL = "USER#", "EMAIL#"
COUNTER = {"pk": {"S": "COUNTER#users"}}
ABSENT = "attribute_not_exists(pk)"
# Errors that say "not now" rather than "never": the client may retry later (503).
UNAVAILABLE = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionInProgressException",
        "ResourceNotFoundException",  # the table is missing: a deployment problem, logged
    }
)
ATTEMPTS = 3  # a transaction that lost a race with another write is tried again


class ConditionFailed(Exception):
    """A transaction was cancelled because the item at each index in `failed` did not
    meet its condition."""

    def __init__(self, failed: set[int]) -> None:
        super().__init__(f"conditions failed at {sorted(failed)}")
        self.failed = failed


class DynamoDBUserStore(DynamoDBTable, UserStore):
    """`client`: injected, or the shared one built on first use (`endpoint_url`:
    Settings.aws_endpoint_url), with the interactive budget: a request waits on it."""

    async def get(self, user_id: int) -> User:
        answer = await self._call(
            self.client.get_item,
            TableName=self.table_name,
            Key=_key(USER, user_id),
            ConsistentRead=True,
        )
        if "Item" not in answer:
            raise UserNotFound(user_id)
        return _user(answer["Item"])

    async def page(self, *, limit: int, after: int | None = None) -> UserPage:
        users: list[User] = []
        start = _key(USER, after) if after is not None else None
        # One user more than asked for tells whether another page follows.
        while len(users) <= limit:
            wanted = limit + 1 - len(users)
            request: dict[str, Any] = {
                "TableName": self.table_name,
                "FilterExpression": "begins_with(pk, :user)",
                "ExpressionAttributeValues": {":user": {"S": USER}},
                "ConsistentRead": True,
                # Limit counts items read before the filter; about half are email items.
                "Limit": min(2 * wanted + 1, 1000),
            }
            if start is not None:
                request["ExclusiveStartKey"] = start
            answer = await self._call(self.client.scan, **request)
            users.extend(_user(item) for item in answer.get("Items", []))
            start = answer.get("LastEvaluatedKey")
            if start is None:
                break
        shown = users[:limit]
        # Resuming after the last user shown re-reads what was read past it: nothing lost.
        return UserPage(shown, shown[-1].id if len(users) > limit else None)

    async def create(self, new: NewUser, *, owner: str | None = None) -> User:
        answer = await self._call(
            self.client.update_item,
            TableName=self.table_name,
            Key=COUNTER,
            UpdateExpression="ADD last_id :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="UPDATED_NEW",
        )
        user_id = int(answer["Attributes"]["last_id"]["N"])
        user = User(id=user_id, name=new.name, email=new.email, age=new.age, version=1, owner=owner)
        try:
            await self._transact(
                {"Put": {"Item": _item(user), "ConditionExpression": ABSENT}},
                {"Put": {"Item": _email_item(user), "ConditionExpression": ABSENT}},
            )
        except ConditionFailed as exc:
            if 1 in exc.failed:
                raise EmailTaken(new.email) from None
            # The counter is behind the table (restored or edited by hand): never overwrite.
            raise RuntimeError(
                f"{self.table_name}: user {user_id} exists; fix the counter"
            ) from exc
        return user

    async def update(
        self, user_id: int, changes: UserChanges, *, expected_version: int | None = None
    ) -> User:
        async def write(current: User) -> User:
            updated = changes.applied_to(current)
            writes = [{"Put": {"Item": _item(updated), **_at_version(current)}}]
            if email_key(updated.email) != email_key(current.email):
                writes.append({"Delete": {"Key": _key(EMAIL, current.email), **_owned(current)}})
                claim = {"Item": _email_item(updated), "ConditionExpression": ABSENT}
                writes.append({"Put": claim})
            try:
                await self._transact(*writes)
            except ConditionFailed as exc:
                if 2 in exc.failed:
                    raise EmailTaken(updated.email) from None
                raise
            return updated

        return await self._read_then_write(user_id, expected_version, write)

    async def delete(self, user_id: int, *, expected_version: int | None = None) -> None:
        async def write(current: User) -> None:
            await self._transact(
                {"Delete": {"Key": _key(USER, user_id), **_at_version(current)}},
                {"Delete": {"Key": _key(EMAIL, current.email), **_owned(current)}},
            )

        await self._read_then_write(user_id, expected_version, write)

    async def _read_then_write(
        self, user_id: int, expected_version: int | None, write: Callable[[User], Awaitable[T]]
    ) -> T:
        """Read the user, check `expected_version`, write on condition that the version is
        still the one read. A write that lost a race is retried only when the client named
        no version (else the race means its version is stale: VersionMismatch)."""
        for _ in range(ATTEMPTS):
            current = await self.get(user_id)
            if expected_version is not None and current.version != expected_version:
                raise VersionMismatch(user_id, current.version)
            try:
                return await write(current)
            except ConditionFailed:
                if expected_version is not None:
                    latest = await self.get(user_id)  # UserNotFound if it was deleted
                    raise VersionMismatch(user_id, latest.version) from None
        raise UsersUnavailable(f"user {user_id} kept changing under {ATTEMPTS} writes")

    async def _transact(self, *writes: dict[str, Any]) -> None:
        """TransactWriteItems on this table; `ConditionFailed` names the writes whose
        condition failed. A conflict with a concurrent transaction is retried."""
        items = [
            {kind: {"TableName": self.table_name, **body}}
            for write in writes
            for kind, body in write.items()
        ]
        for attempt in range(ATTEMPTS):
            try:
                await asyncio.to_thread(self.client.transact_write_items, TransactItems=items)  # type: ignore[arg-type]
                return
            except ClientError as exc:
                if _code(exc) != "TransactionCanceledException":
                    raise _translated(exc, "transact_write_items") from exc
                codes = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
                failed = {i for i, code in enumerate(codes) if code == "ConditionalCheckFailed"}
                if failed:
                    raise ConditionFailed(failed) from None
                if "TransactionConflict" not in codes or attempt == ATTEMPTS - 1:
                    raise UsersUnavailable(f"transaction cancelled: {codes}") from exc
                await asyncio.sleep(0.02 * 2**attempt)
            except BotoCoreError as exc:
                raise UsersUnavailable(f"transact_write_items: {exc}") from exc

    async def _call(self, method: Callable[..., Any], **kwargs: Any) -> dict[str, Any]:
        try:
            answer: dict[str, Any] = await asyncio.to_thread(method, **kwargs)
        except ClientError as exc:
            raise _translated(exc, method.__name__) from exc
        except BotoCoreError as exc:  # no connection, a timeout: the store is unreachable
            raise UsersUnavailable(f"{method.__name__}: {exc}") from exc
        return answer


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _translated(exc: ClientError, operation: str) -> Exception:
    code = _code(exc)
    if code not in UNAVAILABLE:
        return exc
    if code == "ResourceNotFoundException":
        logger.error("%s: the users table is missing (USERS_TABLE is wrong?)", operation)
    return UsersUnavailable(f"{operation}: {code}")


def _key(kind: str, value: int | str) -> dict[str, Any]:
    """`USER#<id>`, or `EMAIL#<email>` (casefolded: one owner item per address)."""
    return {"pk": {"S": f"{kind}{email_key(str(value)) if kind == EMAIL else value}"}}


def _item(user: User) -> dict[str, Any]:
    return {
        **_key(USER, user.id),
        "id": {"N": str(user.id)},
        "name": {"S": user.name},
        "email": {"S": user.email},
        "age": {"N": str(user.age)},
        "version": {"N": str(user.version)},
        **({"owner": {"S": user.owner}} if user.owner is not None else {}),
    }


def _email_item(user: User) -> dict[str, Any]:
    return {**_key(EMAIL, user.email), "user_id": {"N": str(user.id)}}


def _user(item: dict[str, Any]) -> User:
    return User(
        id=int(item["id"]["N"]),
        name=item["name"]["S"],
        email=item["email"]["S"],
        age=int(item["age"]["N"]),
        version=int(item["version"]["N"]),
        owner=item["owner"]["S"] if "owner" in item else None,
    )


def _at_version(user: User) -> dict[str, Any]:
    return {
        "ConditionExpression": "version = :version",
        "ExpressionAttributeValues": {":version": {"N": str(user.version)}},
    }


def _owned(user: User) -> dict[str, Any]:
    return {
        "ConditionExpression": "user_id = :id",
        "ExpressionAttributeValues": {":id": {"N": str(user.id)}},
    }
