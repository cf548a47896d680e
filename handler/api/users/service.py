"""`UsersService`: everything a users request does besides the store's own work.

REST routes and GraphQL resolvers both call it, so the rules cannot drift apart:

- Listing cursors: `page()` seals the store's position with the deployment's
  `CursorCodec` and opens the client's cursor again (a foreign or edited one raises
  `InvalidCursor`; only a positive id ever reaches the store).
- Cache invalidation for the whole fleet: answers are cached under generations (see
  `handler.platform.cache.store`): every listing under `users`, each user's own answer
  under `users:<id>`. Every write bumps what it may have changed, once the store has
  answered and before the client hears back, so the client's next read, through any
  process, misses the old answers. A write the store refused (404, 409, 412) changed
  nothing and bumps nothing; any other failure bumps too (a timeout may hide a commit).
- Who may change what: `create` records the caller as the owner; `update` and `delete`
  raise `NotOwner` unless the caller owns the user or is an admin (the owner never
  changes, so reading it before the write leaves no race).
- Side effects of a create: the welcome email and the `User <name> joined` announcement,
  added to the request's `Tasks` (sent before the response; SQS on AWS); every create
  and update also publishes a GraphQL subscription event (`userCreated`, `userChanged`
  filtered by the user's id: handler.api.subscriptions) through a task.

No FastAPI here; it only needs the request's `Tasks` handle.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from handler.api.announcement_tasks import broadcast_announcement
from handler.api.notification_tasks import send_email
from handler.api.users.errors import EmailTaken, NotOwner, UserNotFound, VersionMismatch
from handler.api.users.models import MAX_ID, NewUser, User, UserChanges
from handler.api.users.user_store import UserStore
from handler.platform.auth.identity import Identity
from handler.platform.cache.store import ResponseCache
from handler.platform.graphql_ws.publish_task import publish_subscription_event
from handler.platform.pagination.cursor import CursorCodec, InvalidCursor
from handler.platform.tasks.request_tasks import Tasks

# Cached answers live this long. Invalidation does not wait for it; it bounds how long an
# answer can stay stale when a write could not reach Redis to bump its generation.
CACHE_SECONDS = 30.0
LISTINGS = "users"
CURSOR_SCOPE = "users"  # a cursor of another listing (another scope) is refused
# One counter per client for creating users, over REST v1, v2 and GraphQL together.
CREATE_LIMIT = "10/minute"
CREATE_LIMIT_SCOPE = "users:create"
DEFAULT_PAGE, MAX_PAGE = 20, 100


# GraphQL subscription topics (handler.api.subscriptions: a topic is the field's name).
USER_CREATED, USER_CHANGED = "userCreated", "userChanged"


def user_event(user: User) -> dict[str, Any]:
    """A user as the subscriptions' `UserEvent` reads it (no email: see there)."""
    return {"id": user.id, "name": user.name, "age": user.age, "version": user.version}


def user_generation(user_id: int) -> str:
    """The generation one user's cached answers are stored under."""
    return f"users:{user_id}"


class UsersService:
    def __init__(self, store: UserStore, cache: ResponseCache, cursors: CursorCodec) -> None:
        self.store = store
        self.cache = cache
        self.cursors = cursors

    async def get(self, user_id: int) -> User:
        return await self.store.get(user_id)

    async def page(self, *, limit: int, cursor: str | None) -> tuple[list[User], str | None]:
        """Up to `limit` users after `cursor` (None: from the start), and the next cursor
        (None on the last page)."""
        after = self._position(cursor) if cursor else None
        page = await self.store.page(limit=limit, after=after)
        if page.next_after is None:
            return page.users, None
        return page.users, self.cursors.encode(CURSOR_SCOPE, page.next_after)

    async def create(self, new: NewUser, tasks: Tasks, *, by: Identity) -> User:
        async with self._invalidating(LISTINGS):
            user = await self.store.create(new, owner=by.subject)
        tasks.add_task(send_email, user.email, message=f"Welcome, {user.name}!")
        tasks.add_task(broadcast_announcement, f"User {user.name} joined")
        tasks.add_task(publish_subscription_event, USER_CREATED, user_event(user))
        return user

    async def update(
        self,
        user_id: int,
        changes: UserChanges,
        tasks: Tasks,
        *,
        expected_version: int | None,
        by: Identity,
    ) -> User:
        await self._check_owner(user_id, by)
        async with self._invalidating(LISTINGS, user_generation(user_id)):
            user = await self.store.update(user_id, changes, expected_version=expected_version)
        event = user_event(user)
        tasks.add_task(publish_subscription_event, USER_CHANGED, event, {"id": user.id})
        return user

    async def delete(self, user_id: int, *, expected_version: int | None, by: Identity) -> None:
        await self._check_owner(user_id, by)
        async with self._invalidating(LISTINGS, user_generation(user_id)):
            await self.store.delete(user_id, expected_version=expected_version)

    async def _check_owner(self, user_id: int, caller: Identity) -> None:
        if caller.admin:
            return  # no read needed: an admin may change any user
        user = await self.store.get(user_id)
        if not caller.may_change(user.owner):
            raise NotOwner(user_id)

    @asynccontextmanager
    async def _invalidating(self, *generations: str) -> AsyncIterator[None]:
        try:
            yield
        except (UserNotFound, EmailTaken, VersionMismatch):
            raise  # refused by the store: nothing changed
        except Exception:
            await self.cache.bump(*generations)
            raise
        await self.cache.bump(*generations)

    def _position(self, cursor: str) -> int:
        position = self.cursors.decode(CURSOR_SCOPE, cursor)
        # Signed by us, so this holds unless the code changed shape: still never trusted.
        if type(position) is not int or not 1 <= position <= MAX_ID:
            raise InvalidCursor("cursor position is not a user id")
        return position
