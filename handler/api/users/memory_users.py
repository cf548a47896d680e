"""`MemoryUserStore`: the users of one process, for `python -m local` and the tests.

It starts with the seed's example users (Patrick is user 1, owned by nobody: only admins
change them), so `query { user(id: 1)
{ name age } }` answers as it always did. Each process has its own users: behind several
processes (Lambda environments, uvicorn workers) use the DynamoDB store.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from handler.api.users.errors import EmailTaken, UserNotFound, VersionMismatch
from handler.api.users.models import NewUser, User, UserChanges, email_key
from handler.api.users.user_store import UserPage, UserStore

SEED = (
    NewUser(name="Patrick", email="patrick@bikinibottom.example", age=100),
    NewUser(name="Sandy", email="sandy@bikinibottom.example", age=30),
)


class MemoryUserStore(UserStore):
    """Pages in id order. A lock makes each method atomic even across threads (TestClient
    and the tests call from several)."""

    def __init__(self, users: Iterable[NewUser] = SEED) -> None:
        self._lock = threading.Lock()
        self._users: dict[int, User] = {}
        self._owners: dict[str, int] = {}  # email_key -> user id
        self._last_id = 0
        for new in users:
            self._create(new)

    async def get(self, user_id: int) -> User:
        with self._lock:
            return self._current(user_id)

    async def page(self, *, limit: int, after: int | None = None) -> UserPage:
        with self._lock:
            ids = sorted(i for i in self._users if after is None or i > after)
            users = [self._users[i] for i in ids[:limit]]
        more = len(ids) > limit
        return UserPage(users, users[-1].id if more and users else None)

    async def create(self, new: NewUser, *, owner: str | None = None) -> User:
        with self._lock:
            return self._create(new, owner)

    async def update(
        self, user_id: int, changes: UserChanges, *, expected_version: int | None = None
    ) -> User:
        with self._lock:
            current = self._checked(user_id, expected_version)
            updated = changes.applied_to(current)
            old_key, new_key = email_key(current.email), email_key(updated.email)
            if new_key != old_key:
                self._claim(new_key, updated)
                del self._owners[old_key]
            self._users[user_id] = updated
            return updated

    async def delete(self, user_id: int, *, expected_version: int | None = None) -> None:
        with self._lock:
            current = self._checked(user_id, expected_version)
            del self._users[user_id]
            del self._owners[email_key(current.email)]

    def _create(self, new: NewUser, owner: str | None = None) -> User:
        self._last_id += 1  # consumed even if the email is taken, as the counter does
        user = User(
            id=self._last_id, name=new.name, email=new.email, age=new.age, version=1, owner=owner
        )
        self._claim(email_key(user.email), user)
        self._users[user.id] = user
        return user

    def _claim(self, key: str, user: User) -> None:
        if key in self._owners:
            raise EmailTaken(user.email)
        self._owners[key] = user.id

    def _current(self, user_id: int) -> User:
        user = self._users.get(user_id)
        if user is None:
            raise UserNotFound(user_id)
        return user

    def _checked(self, user_id: int, expected_version: int | None) -> User:
        current = self._current(user_id)
        if expected_version is not None and current.version != expected_version:
            raise VersionMismatch(user_id, current.version)
        return current
