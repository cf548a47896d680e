"""The stack under test: the emulator (`python -m local aws`, started here), or a deployed
stack when E2E_OUTPUTS names a `cdk deploy --outputs-file` JSON file; and its users,
signed up and in through the stack's user pool (deleted afterwards from a real one)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.cognito import SignedIn, delete_user, sign_up_and_in
from tests.support.stack import Stack, deployed_stack, emulated_stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    outputs = os.environ.get("E2E_OUTPUTS")
    if outputs:
        yield deployed_stack(Path(outputs))
        return
    with emulated_stack(tmp_path_factory.mktemp("emulator")) as emulated:
        yield emulated


@dataclass(frozen=True)
class Users:
    """Signed in through the stack's user pool: two users and an admin."""

    alice: SignedIn
    bob: SignedIn
    admin: SignedIn
    new: Callable[[str], SignedIn]  # another user, for a test that needs its own subject


@pytest.fixture(scope="session")
def users(stack: Stack) -> Iterator[Users]:
    idp = stack.client("cognito-idp")
    pool_id, client_id = stack["UserPoolId"], stack["UserPoolClientId"]
    created: list[SignedIn] = []

    def new(name: str, *, admin: bool = False) -> SignedIn:
        user = sign_up_and_in(idp, pool_id=pool_id, client_id=client_id, name=name, admin=admin)
        created.append(user)
        return user

    yield Users(alice=new("alice"), bob=new("bob"), admin=new("root", admin=True), new=new)
    if not stack.emulated:
        for user in created:
            delete_user(idp, pool_id=pool_id, user=user)
