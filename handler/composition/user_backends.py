"""The users resource's store and its pagination cursors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handler.settings import Settings

if TYPE_CHECKING:
    from handler.api.users.user_store import UserStore
    from handler.platform.pagination.cursor import CursorCodec


def users_backend(settings: Settings) -> str:
    return "dynamodb" if settings.users_table else "memory"


def user_store(settings: Settings) -> UserStore:
    """DynamoDB when USERS_TABLE is set, memory (seeded with the example users) otherwise."""
    if users_backend(settings) == "memory":
        from handler.api.users.memory_users import MemoryUserStore

        return MemoryUserStore()
    from handler.api.users.dynamodb_users import DynamoDBUserStore

    store = DynamoDBUserStore(settings.users_table, endpoint_url=settings.aws_endpoint_url or None)
    if settings.on_lambda:
        store.client  # noqa: B018 - built in the init phase, as the task queue's client
    return store


def cursor_codec(settings: Settings) -> CursorCodec:
    """Signs with CURSOR_SECRET; outside production it may be empty (a public key)."""
    from handler.platform.pagination.cursor import DEVELOPMENT_KEY, CursorCodec

    return CursorCodec(settings.cursor_secret.get_secret_value() or DEVELOPMENT_KEY)
