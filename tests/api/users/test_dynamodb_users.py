"""What only the DynamoDB adapter has: the items it writes, conditions on every write,
the scan key it builds itself, and vendor errors turned into the resource's own."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from handler.api.users.dynamodb_users import DynamoDBUserStore
from handler.api.users.errors import UsersUnavailable
from handler.api.users.models import NewUser, UserChanges
from tests.support.servers import free_port
from tests.support.task_queues import REGION

run = asyncio.run
ANN = NewUser(name="Ann", email="Ann@Example.com", age=30)


class Recording:
    """A client that remembers each call (operation, arguments) before making it."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.client, name)

        def call(**kwargs: Any) -> Any:
            self.calls.append((name, kwargs))
            return method(**kwargs)

        return call


def test_one_table_holds_the_user_its_email_and_the_counter(users_table: str) -> None:
    run(DynamoDBUserStore(users_table).create(ANN))
    client = boto3.client("dynamodb", region_name=REGION)
    items = {item["pk"]["S"]: item for item in client.scan(TableName=users_table)["Items"]}
    assert set(items) == {"USER#1", "EMAIL#ann@example.com", "COUNTER#users"}
    assert items["EMAIL#ann@example.com"]["user_id"] == {"N": "1"}
    assert items["COUNTER#users"]["last_id"] == {"N": "1"}
    assert items["USER#1"]["email"] == {"S": "Ann@example.com"}


def test_every_write_of_a_user_or_an_email_is_conditional(users_table: str) -> None:
    recording = Recording(DynamoDBUserStore(users_table).client)
    store = DynamoDBUserStore(users_table, client=recording)
    run(store.create(ANN))
    run(store.update(1, UserChanges(email="ann2@example.com"), expected_version=1))
    run(store.update(1, UserChanges(age=31)))
    run(store.delete(1))
    writes = [
        operation
        for name, kwargs in recording.calls
        for operation in (
            [next(iter(item.values())) for item in kwargs["TransactItems"]]
            if name == "transact_write_items"
            else [kwargs]
            if name in {"put_item", "update_item", "delete_item"}
            else []
        )
    ]
    counter = [w for w in writes if w.get("Key") == {"pk": {"S": "COUNTER#users"}}]
    others = [w for w in writes if w not in counter]
    assert len(counter) == 1, "the counter's ADD is atomic by itself"
    assert len(others) == 2 + 3 + 1 + 2
    assert all("ConditionExpression" in w for w in others)


def test_the_scan_starts_at_a_key_built_from_the_id(users_table: str) -> None:
    recording = Recording(DynamoDBUserStore(users_table).client)
    store = DynamoDBUserStore(users_table, client=recording)
    run(store.page(limit=5, after=3))
    scans = [kwargs for name, kwargs in recording.calls if name == "scan"]
    assert scans[0]["ExclusiveStartKey"] == {"pk": {"S": "USER#3"}}
    assert scans[0]["ConsistentRead"] is True


def stubbed() -> tuple[DynamoDBUserStore, Stubber]:
    client = boto3.client("dynamodb", region_name=REGION)
    return DynamoDBUserStore("users", client=client), Stubber(client)


@pytest.mark.usefixtures("aws_env")
@pytest.mark.parametrize(
    "code",
    ["ProvisionedThroughputExceededException", "ThrottlingException", "InternalServerError"],
)
def test_throttling_and_server_errors_are_unavailable(code: str) -> None:
    store, stubber = stubbed()
    stubber.add_client_error("get_item", service_error_code=code, http_status_code=400)
    with stubber, pytest.raises(UsersUnavailable):
        run(store.get(1))


@pytest.mark.usefixtures("aws_env")
def test_a_missing_table_is_unavailable_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    store, stubber = stubbed()
    stubber.add_client_error("get_item", service_error_code="ResourceNotFoundException")
    with stubber, caplog.at_level(logging.ERROR), pytest.raises(UsersUnavailable):
        run(store.get(1))
    assert any("users table is missing" in r.getMessage() for r in caplog.records)


@pytest.mark.usefixtures("aws_env")
def test_a_request_dynamodb_calls_invalid_is_a_bug_and_raised_as_is() -> None:
    store, stubber = stubbed()
    stubber.add_client_error("get_item", service_error_code="ValidationException")
    with stubber, pytest.raises(ClientError):
        run(store.get(1))


@pytest.mark.usefixtures("aws_env")
def test_an_unreachable_endpoint_is_unavailable() -> None:
    client = boto3.client(
        "dynamodb",
        region_name=REGION,
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        config=Config(connect_timeout=0.5, read_timeout=0.5, retries={"max_attempts": 1}),
    )
    with pytest.raises(UsersUnavailable):
        run(DynamoDBUserStore("users", client=client).get(1))


def cancelled(*codes: str) -> dict[str, Any]:
    return {
        "service_error_code": "TransactionCanceledException",
        "service_message": "Transaction cancelled",
        "response_meta": {},
        "modeled_fields": {"CancellationReasons": [{"Code": code} for code in codes]},
    }


def counter_answer(stubber: Stubber, value: int = 1) -> None:
    stubber.add_response("update_item", {"Attributes": {"last_id": {"N": str(value)}}})


@pytest.mark.usefixtures("aws_env")
def test_a_transaction_conflict_is_tried_again() -> None:
    store, stubber = stubbed()
    counter_answer(stubber)
    stubber.add_client_error("transact_write_items", **cancelled("TransactionConflict", "None"))
    stubber.add_response("transact_write_items", {})
    with stubber:
        assert run(store.create(ANN)).id == 1
        stubber.assert_no_pending_responses()


@pytest.mark.usefixtures("aws_env")
def test_a_conflict_that_lasts_is_unavailable() -> None:
    store, stubber = stubbed()
    counter_answer(stubber)
    for _ in range(3):
        stubber.add_client_error("transact_write_items", **cancelled("TransactionConflict"))
    with stubber, pytest.raises(UsersUnavailable):
        run(store.create(ANN))
