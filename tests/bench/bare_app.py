"""The reference the full stack's `GET /api/v1/users` is measured against: a bare FastAPI
app (no middleware, no dependencies, no cache) answering the same route with the same
body, computed on every request through the same response model (`UsersV1` of
`UserView`s, from the same seed users) and taking the same query parameters.

Its answer is byte-for-byte the full stack's (tests/bench/test_bare_app.py checks it)."""

from __future__ import annotations

from fastapi import FastAPI

from handler.api.users.memory_users import SEED
from handler.api.users.models import User, UserView
from handler.api.users.routes import Cursor, Limit, UsersV1
from handler.api.users.service import DEFAULT_PAGE

USERS = [
    User(id=n, name=new.name, email=new.email, age=new.age, version=1)
    for n, new in enumerate(SEED, start=1)
]
app = FastAPI()


@app.get("/api/v1/users")
async def list_users_v1(limit: Limit = DEFAULT_PAGE, cursor: Cursor = None) -> UsersV1:
    return UsersV1(users=[UserView.of(user, None) for user in USERS[:limit]])
