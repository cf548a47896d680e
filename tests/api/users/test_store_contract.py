"""The `UserStore` contract (handler/api/users/user_store.py), on both adapters: ids,
unique emails (also under a race), conditional writes, pages."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from handler.api.users.dynamodb_users import DynamoDBUserStore
from handler.api.users.errors import EmailTaken, UserNotFound, VersionMismatch
from handler.api.users.memory_users import MemoryUserStore
from handler.api.users.models import NewUser, User, UserChanges
from handler.api.users.user_store import UserStore

run = asyncio.run


def new(name: str, email: str | None = None, age: int = 30) -> NewUser:
    return NewUser(name=name, email=email or f"{name.lower()}@example.com", age=age)


def test_creates_get_increasing_ids_and_version_one(store: UserStore) -> None:
    first, second = run(store.create(new("Ann"))), run(store.create(new("Bob")))
    assert (first.id, second.id) == (1, 2)
    assert first == User(id=1, name="Ann", email="ann@example.com", age=30, version=1)
    assert run(store.get(2)) == second


def test_a_missing_user_is_not_found(store: UserStore) -> None:
    with pytest.raises(UserNotFound):
        run(store.get(1))


def test_an_email_is_unique_whatever_its_case(store: UserStore) -> None:
    run(store.create(new("Ann", "ann@example.com")))
    with pytest.raises(EmailTaken):
        run(store.create(new("Other", "ANN@Example.com")))
    later = run(store.create(new("Bob")))
    assert later.id == 3, "the failed create used an id (a gap), never reused"


class LockStep:
    """A DynamoDB client through which two threads take turns call by call: each waits
    for the other to reach the same call before making it, and the calls themselves run
    one at a time. So any check-then-write spread over two calls would interleave."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.barrier = threading.Barrier(2, timeout=10)
        self.lock = threading.Lock()

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self.client, name)

        def call(**kwargs: Any) -> Any:
            # BrokenBarrierError: the other thread is done, no one is left to wait for.
            with contextlib.suppress(threading.BrokenBarrierError):
                self.barrier.wait()
            with self.lock:
                return method(**kwargs)

        return call


def racing(store: UserStore) -> tuple[UserStore, Callable[[], None]]:
    """The store two threads race through, and what a thread calls when it is done."""
    if isinstance(store, DynamoDBUserStore):
        lockstep = LockStep(store.client)
        return DynamoDBUserStore(store.table_name, client=lockstep), lockstep.barrier.abort
    return store, lambda: None


def race(store: UserStore, *attempts: Callable[[UserStore], Any]) -> list[Any]:
    """Run the attempts on two threads at once; each result, or the exception raised."""
    raced, done = racing(store)

    def attempt(action: Callable[[UserStore], Any]) -> Any:
        try:
            return run(action(raced))
        except Exception as exc:
            return exc
        finally:
            done()

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(attempt, attempts))


def test_of_two_concurrent_creates_with_one_email_exactly_one_wins(store: UserStore) -> None:
    results = race(
        store,
        lambda s: s.create(new("Ann", "same@example.com")),
        lambda s: s.create(new("Bob", "SAME@example.com")),
    )
    winners = [r for r in results if isinstance(r, User)]
    assert len(winners) == 1
    assert [type(r) for r in results if not isinstance(r, User)] == [EmailTaken]
    listed = run(store.page(limit=10)).users
    assert listed == winners


def test_of_two_concurrent_updates_at_one_version_exactly_one_wins(store: UserStore) -> None:
    run(store.create(new("Ann")))
    results = race(
        store,
        lambda s: s.update(1, UserChanges(age=31), expected_version=1),
        lambda s: s.update(1, UserChanges(age=32), expected_version=1),
    )
    (winner,) = [r for r in results if isinstance(r, User)]
    (loser,) = [r for r in results if not isinstance(r, User)]
    assert isinstance(loser, VersionMismatch)
    assert loser.current == 2
    assert run(store.get(1)) == winner


def test_an_update_changes_the_fields_sent_and_the_version(store: UserStore) -> None:
    run(store.create(new("Ann")))
    updated = run(store.update(1, UserChanges(age=31), expected_version=1))
    assert updated == User(id=1, name="Ann", email="ann@example.com", age=31, version=2)
    assert run(store.get(1)) == updated
    again = run(store.update(1, UserChanges(name="Anna")))  # no version: the current one
    assert (again.name, again.age, again.version) == ("Anna", 31, 3)


def test_a_stale_version_changes_nothing(store: UserStore) -> None:
    run(store.create(new("Ann")))
    run(store.update(1, UserChanges(age=31), expected_version=1))
    with pytest.raises(VersionMismatch) as raised:
        run(store.update(1, UserChanges(age=99), expected_version=1))
    assert raised.value.current == 2
    with pytest.raises(VersionMismatch):
        run(store.delete(1, expected_version=1))
    assert run(store.get(1)).age == 31


def test_writes_to_a_missing_user_are_not_found(store: UserStore) -> None:
    with pytest.raises(UserNotFound):
        run(store.update(7, UserChanges(age=1)))
    with pytest.raises(UserNotFound):
        run(store.update(7, UserChanges(age=1), expected_version=1))
    with pytest.raises(UserNotFound):
        run(store.delete(7))


def test_a_new_email_moves_the_uniqueness_with_it(store: UserStore) -> None:
    run(store.create(new("Ann", "ann@example.com")))
    run(store.update(1, UserChanges(email="anna@example.com"), expected_version=1))
    reused = run(store.create(new("Other", "ann@example.com")))
    assert reused.id == 2, "the old email is free again"
    with pytest.raises(EmailTaken):
        run(store.create(new("Third", "anna@example.com")))


def test_an_update_to_another_users_email_changes_nothing(store: UserStore) -> None:
    run(store.create(new("Ann")))
    run(store.create(new("Bob")))
    with pytest.raises(EmailTaken):
        run(store.update(2, UserChanges(email="ann@example.com", age=5), expected_version=1))
    assert run(store.get(2)) == User(id=2, name="Bob", email="bob@example.com", age=30, version=1)
    # Only the case changes: the same address, still the same owner.
    same = run(store.update(1, UserChanges(email="ANN@example.com")))
    assert same.email == "ANN@example.com"


def test_a_delete_removes_the_user_and_frees_the_email(store: UserStore) -> None:
    run(store.create(new("Ann")))
    run(store.delete(1, expected_version=1))
    with pytest.raises(UserNotFound):
        run(store.get(1))
    with pytest.raises(UserNotFound):
        run(store.delete(1))
    assert run(store.create(new("Ann"))).id == 2


def walk(store: UserStore, limit: int) -> list[list[int]]:
    pages, after = [], None
    while True:
        page = run(store.page(limit=limit, after=after))
        pages.append([user.id for user in page.users])
        if page.next_after is None:
            return pages
        after = page.next_after


@pytest.mark.parametrize("limit", [1, 3, 7, 100])
def test_pages_walk_every_user_exactly_once(store: UserStore, limit: int) -> None:
    for i in range(7):
        run(store.create(new(f"User{i}")))
    pages = walk(store, limit)
    seen = [user_id for page in pages for user_id in page]
    assert sorted(seen) == list(range(1, 8))
    assert all(0 < len(page) <= limit for page in pages), "no empty page, none too long"
    assert len(pages) == -(-7 // limit)


def test_a_page_resumes_after_a_user_deleted_meanwhile(store: UserStore) -> None:
    for i in range(5):
        run(store.create(new(f"User{i}")))
    first = run(store.page(limit=2))
    assert first.next_after is not None
    run(store.delete(first.next_after))
    rest = run(store.page(limit=10, after=first.next_after))
    seen = [u.id for u in first.users] + [u.id for u in rest.users]
    assert sorted(seen) == [1, 2, 3, 4, 5]
    assert rest.next_after is None


def test_an_empty_store_has_one_empty_last_page(store: UserStore) -> None:
    page = run(store.page(limit=20))
    assert (page.users, page.next_after) == ([], None)


def test_the_memory_store_starts_with_the_seed_users() -> None:
    users = run(MemoryUserStore().page(limit=10)).users
    assert [(u.id, u.name, u.age) for u in users] == [(1, "Patrick", 100), (2, "Sandy", 30)]
