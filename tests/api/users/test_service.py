"""`UsersService` on both stores: listing cursors a client cannot forge, and the cache
generations each write bumps (or, when the store refused it, does not)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from starlette.background import BackgroundTasks

from handler.api.users.errors import EmailTaken, NotOwner, UserNotFound
from handler.api.users.models import NewUser, UserChanges
from handler.api.users.service import CURSOR_SCOPE, UsersService
from handler.api.users.user_store import UserStore
from handler.platform.auth.identity import Identity
from handler.platform.pagination.cursor import CursorCodec, InvalidCursor
from handler.platform.tasks.queue import InProcessQueue
from handler.platform.tasks.request_tasks import Tasks

run = asyncio.run
CODEC = CursorCodec("c" * 32)


class Generations:
    """A cache that records the generations bumped (the service needs nothing else)."""

    def __init__(self) -> None:
        self.bumped: list[tuple[str, ...]] = []

    async def bump(self, *names: str) -> bool:
        self.bumped.append(names)
        return True


@pytest.fixture
def cache() -> Generations:
    return Generations()


@pytest.fixture
def service(store: UserStore, cache: Generations) -> UsersService:
    users = UsersService(store, cache, CODEC)  # type: ignore[arg-type]
    for i in range(5):
        run(
            users.create(NewUser(name=f"U{i}", email=f"u{i}@example.com", age=i), tasks(), by=ALICE)
        )
    cache.bumped.clear()
    return users


ALICE, BOB = Identity("alice"), Identity("bob")
ADMIN = Identity("root", groups=frozenset({"admin"}), admin=True)


def tasks() -> Tasks:
    return Tasks(InProcessQueue(), BackgroundTasks(), max_message_bytes=1_000_000)


def test_cursors_walk_the_listing(service: UsersService) -> None:
    seen, cursor = [], None
    while True:
        users, cursor = run(service.page(limit=2, cursor=cursor))
        seen += [user.id for user in users]
        if cursor is None:
            break
    assert sorted(seen) == [1, 2, 3, 4, 5]


def edits(token: str) -> Iterator[str]:
    for index, char in enumerate(token):
        yield token[:index] + ("B" if char == "A" else "A") + token[index + 1 :]


FORGERIES = {
    "cut": lambda token: token[:-1],
    "extended": lambda token: token + "A",
    "other key": lambda _: CursorCodec("another deployment's key........").encode(CURSOR_SCOPE, 3),
    "other listing": lambda _: CODEC.encode("orders", 3),
    "negative id": lambda _: CODEC.encode(CURSOR_SCOPE, -1),  # signed, but not a user id
    "text": lambda _: CODEC.encode(CURSOR_SCOPE, "USER#3"),
    "raw key": lambda _: CODEC.encode(CURSOR_SCOPE, {"pk": {"S": "EMAIL#u1@example.com"}}),
}


def test_a_forged_cursor_never_reaches_the_store(service: UsersService) -> None:
    _, token = run(service.page(limit=2, cursor=None))
    assert token is not None
    accepted = []
    for name, forge in FORGERIES.items():
        try:
            run(service.page(limit=2, cursor=forge(token)))
        except InvalidCursor:
            continue
        accepted.append(name)
    assert accepted == []


def test_every_edit_of_a_real_cursor_is_refused(service: UsersService) -> None:
    _, token = run(service.page(limit=2, cursor=None))
    assert token is not None
    for edited in edits(token):
        with pytest.raises(InvalidCursor):
            run(service.page(limit=2, cursor=edited))


def test_each_write_bumps_the_listings_and_the_users_own(
    service: UsersService, cache: Generations
) -> None:
    run(service.create(NewUser(name="New", email="new@example.com", age=1), tasks(), by=ALICE))
    run(service.update(2, UserChanges(age=9), tasks(), expected_version=1, by=ALICE))
    run(service.delete(3, expected_version=None, by=ALICE))
    assert cache.bumped == [("users",), ("users", "users:2"), ("users", "users:3")]


def test_a_write_the_store_refused_bumps_nothing(service: UsersService, cache: Generations) -> None:
    with pytest.raises(EmailTaken):
        run(service.create(NewUser(name="Dup", email="u1@example.com", age=1), tasks(), by=ALICE))
    with pytest.raises(UserNotFound):
        run(service.delete(99, expected_version=None, by=ALICE))
    assert cache.bumped == []


def test_a_create_queues_the_welcome_email_and_the_announcement(service: UsersService) -> None:
    handle = tasks()
    user = run(
        service.create(NewUser(name="Gary", email="gary@example.com", age=4), handle, by=ALICE)
    )
    queued = [(task.envelope.name, task.envelope.args) for task in handle.pending]
    event = {"id": user.id, "name": "Gary", "age": 4, "version": 1}
    assert queued == [
        ("send_email", [user.email]),
        ("broadcast_announcement", ["User Gary joined"]),
        ("publish_subscription_event", ["userCreated", event]),
    ]


def test_an_update_publishes_user_changed_filtered_by_its_id(service: UsersService) -> None:
    handle = tasks()
    user = run(service.update(2, UserChanges(age=9), handle, expected_version=1, by=ALICE))
    queued = [(t.envelope.name, t.envelope.args) for t in handle.pending]
    event = {"id": 2, "name": user.name, "age": 9, "version": 2}
    assert queued == [("publish_subscription_event", ["userChanged", event, {"id": 2}])]


def test_a_user_belongs_to_its_creator_and_only_it_or_an_admin_changes_it(
    service: UsersService, cache: Generations
) -> None:
    mine = run(
        service.create(NewUser(name="Mine", email="mine@example.com", age=1), tasks(), by=ALICE)
    )
    assert mine.owner == "alice"
    before = list(cache.bumped)
    with pytest.raises(NotOwner):
        run(service.update(mine.id, UserChanges(age=2), tasks(), expected_version=None, by=BOB))
    with pytest.raises(NotOwner):
        run(service.delete(mine.id, expected_version=None, by=BOB))
    assert cache.bumped == before  # refused before the store: nothing changed, nothing bumped
    assert (
        run(
            service.update(mine.id, UserChanges(age=3), tasks(), expected_version=None, by=ALICE)
        ).age
        == 3
    )
    assert (
        run(
            service.update(mine.id, UserChanges(age=4), tasks(), expected_version=None, by=ADMIN)
        ).age
        == 4
    )
    run(service.delete(mine.id, expected_version=None, by=ADMIN))
    with pytest.raises(UserNotFound):
        run(service.get(mine.id))


def test_a_user_nobody_owns_is_an_admins_alone(service: UsersService) -> None:
    """The seeded users (and any stored without an owner)."""
    orphan = run(service.store.create(NewUser(name="Seed", email="seed@example.com", age=1)))
    assert orphan.owner is None
    with pytest.raises(NotOwner):
        run(service.delete(orphan.id, expected_version=None, by=ALICE))
    run(service.delete(orphan.id, expected_version=None, by=ADMIN))
