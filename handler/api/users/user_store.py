"""The `UserStore` port: where users live, whatever holds them.

Two adapters implement it, and one contract test suite runs against both
(tests/api/users/test_store_contract.py): `MemoryUserStore` (USERS_TABLE unset) and
`DynamoDBUserStore`. `handler.composition` chooses; nothing else knows which one runs.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from handler.api.users.models import NewUser, User, UserChanges


@dataclass(frozen=True)
class UserPage:
    users: list[User]
    # Where the next page starts (pass it back as `after`); None on the last page.
    next_after: int | None


class UserStore(ABC):
    """Users by id, their emails unique. Every method is atomic, for every process that
    shares the store:

    - `get(id)` returns the user as last written (strongly consistent), or raises
      `UserNotFound`.
    - `page(limit=, after=)` returns up to `limit` users in an order the store chooses
      and keeps (not necessarily by id), starting after the user whose id is `after`
      (which need not exist any more). A user present for a whole walk through the pages
      appears exactly once; `next_after` is None only when no user follows.
    - `create(new, owner=)` records `owner` (the creator's subject) with the user and
      gives it the next id of a counter (positive, never reused; a
      failed create may leave a gap) and version 1. Raises `EmailTaken` when another user
      has the email, ignoring case (`models.email_key`): of two concurrent creates with
      one email, exactly one wins.
    - `update(id, changes, expected_version=)` applies the changes and adds 1 to the
      version. With `expected_version`, raises `VersionMismatch` unless that is the
      current version (checked in the same atomic write); without it, applies to the
      current version. Raises `UserNotFound`, and `EmailTaken` for another user's email.
    - `delete(id, expected_version=)`: the same conditions; the email is free again after.

    Any method raises `UsersUnavailable` when the store cannot answer now; a write that
    raised it may or may not have happened.
    """

    @abstractmethod
    async def get(self, user_id: int) -> User: ...

    @abstractmethod
    async def page(self, *, limit: int, after: int | None = None) -> UserPage: ...

    @abstractmethod
    async def create(self, new: NewUser, *, owner: str | None = None) -> User: ...

    @abstractmethod
    async def update(
        self, user_id: int, changes: UserChanges, *, expected_version: int | None = None
    ) -> User: ...

    @abstractmethod
    async def delete(self, user_id: int, *, expected_version: int | None = None) -> None: ...
