"""The users resource's fixtures: each store behaviour runs on both adapters (`store`:
memory, and DynamoDB in moto's in-process mock with the table the stack creates), and
each route through both transports (`http`: TestClient and the Lambda adapter)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from moto import mock_aws

from handler.api.users.dynamodb_users import DynamoDBUserStore
from handler.api.users.memory_users import MemoryUserStore
from handler.api.users.user_store import UserStore
from handler.platform.aws.clients import INTERACTIVE, aws_client
from handler.settings import Settings
from local.aws.moto_server import create_table
from local.aws.topology import USERS_TABLE
from tests.support.auth import bearer
from tests.support.transports import TRANSPORTS, Answer, Http, transport

TABLE = "users-test"


@pytest.fixture
def users_table(aws_env: None) -> Iterator[str]:
    """The users table as infra/ and the emulator create it, in moto's mock."""
    with mock_aws():
        # The client the store will ask for (same options): built once per test, not twice.
        client = aws_client("dynamodb", **INTERACTIVE, endpoint_url=None)
        create_table(client, TABLE, USERS_TABLE)
        yield TABLE


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> UserStore:
    """An empty store of each kind."""
    if request.param == "memory":
        return MemoryUserStore(users=())
    return DynamoDBUserStore(request.getfixturevalue("users_table"))


@pytest.fixture(params=TRANSPORTS)
def http(request: pytest.FixtureRequest, app: FastAPI, settings: Settings) -> Iterator[Http]:
    """The app (memory store, seeded) through TestClient, then through the Lambda adapter.

    Writes go as an admin unless the test sends its own `Authorization` (None: none at
    all): these tests are about the resource, test_access.py about who may write. Reads
    stay anonymous, the requests the shared cache serves."""
    admin = bearer(settings, "root", admin=True)
    with transport(request.param, app) as call:

        def as_admin(
            method: str,
            path: str,
            *,
            json: Any = None,
            headers: dict[str, str | None] | None = None,
            params: dict[str, Any] | None = None,
        ) -> Answer:
            sent: dict[str, str | None] = {**(admin if method != "GET" else {}), **(headers or {})}
            kept = {k: v for k, v in sent.items() if v is not None}
            return call(method, path, json=json, headers=kept, params=params)

        yield as_admin  # type: ignore[misc]
