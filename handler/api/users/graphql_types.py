"""The users resource over GraphQL: the same `UsersService` as REST, so the same rules.

    query    { user(id: 1) { name age } }
    query    { users(limit: 10, cursor: "...") { users { id name } nextCursor } }
    mutation { createUser(name: "Gary", email: "gary@example.com", age: 4) { id version } }
    mutation { updateUser(id: 3, version: 1, age: 5) { version } }
    mutation { deleteUser(id: 3, version: 2) }

Who may do what is REST's: anyone may query; every mutation needs a signed-in caller
(`Authorization: Bearer ...` on the request; UNAUTHENTICATED otherwise), and updating or
deleting a user needs its owner or an admin (FORBIDDEN); `email` reads as null unless
the caller owns the user or is an admin. The caller is resolved once per request, in the
context (`handler.api.graphql`), with the same verifier as REST.

Validation is the pydantic models' (`NewUser`, `UserChanges`); `updateUser` needs the
version, as PATCH needs If-Match; `createUser` counts against the same per-client limit
as POST; every write invalidates the same cache generations. A refused request is a
GraphQL error with `extensions.code` (BAD_USER_INPUT, NOT_FOUND, EMAIL_TAKEN,
VERSION_MISMATCH, RATE_LIMITED, UNAVAILABLE, UNAUTHENTICATED, FORBIDDEN); a user that
does not exist reads as null.

The adapters come from the app's lifespan state, through the request strawberry passes
in the context (GraphQL is mounted as a plain ASGI route, outside FastAPI's dependencies).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import strawberry
from graphql import GraphQLError
from pydantic import ValidationError
from starlette.background import BackgroundTasks
from starlette.requests import Request
from strawberry.types import Info

from handler.api.users import models
from handler.api.users.errors import (
    EmailTaken,
    NotOwner,
    UserNotFound,
    UsersUnavailable,
    VersionMismatch,
)
from handler.api.users.service import (
    CREATE_LIMIT,
    CREATE_LIMIT_SCOPE,
    DEFAULT_PAGE,
    MAX_PAGE,
    UsersService,
)
from handler.demo_state import app_state
from handler.platform.auth.identity import Identity
from handler.platform.http.deps import app_settings
from handler.platform.http.rate_limit import caller_key
from handler.platform.pagination.cursor import InvalidCursor
from handler.platform.ratelimit.limiter import RateLimiterUnavailable
from handler.platform.tasks.errors import TaskQueueUnavailable
from handler.platform.tasks.request_tasks import Tasks

_CODES: dict[type[Exception], tuple[str, str]] = {
    UserNotFound: ("NOT_FOUND", "User not found"),
    NotOwner: ("FORBIDDEN", "Only the user's owner or an admin may change it"),
    EmailTaken: ("EMAIL_TAKEN", "Email taken"),
    VersionMismatch: ("VERSION_MISMATCH", "The user changed since that version"),
    UsersUnavailable: ("UNAVAILABLE", "Users store unavailable"),
    TaskQueueUnavailable: ("UNAVAILABLE", "Task queue unavailable"),
    RateLimiterUnavailable: ("UNAVAILABLE", "Rate limiter unavailable"),
    InvalidCursor: ("BAD_USER_INPUT", "Invalid cursor"),
}


@strawberry.type
class User:
    id: int
    name: str
    email: str | None = strawberry.field(
        description="Shown to the user's owner and to admins; null for everyone else."
    )
    age: int
    version: int
    owner: str | None

    @classmethod
    def of(cls, user: models.User, viewer: Identity | None) -> User:
        view = models.UserView.of(user, viewer)
        return cls(
            id=view.id,
            name=view.name,
            email=view.email,
            age=view.age,
            version=view.version,
            owner=view.owner,
        )


@strawberry.type
class UserPage:
    users: list[User]
    next_cursor: str | None


@contextmanager
def _said_in_graphql() -> Iterator[None]:
    """The service's errors as GraphQL errors meant for the client (shown, not masked)."""
    try:
        yield
    except ValidationError as exc:
        errors = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
        raise _error("Invalid input", "BAD_USER_INPUT", errors=errors) from None
    except tuple(_CODES) as exc:
        # Along the class hierarchy, as the HTTP handlers are found.
        code, message = next(_CODES[kind] for kind in type(exc).__mro__ if kind in _CODES)
        extra = {"currentVersion": exc.current} if isinstance(exc, VersionMismatch) else {}
        raise _error(message, code, **extra) from None


def _error(message: str, code: str, **extensions: Any) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code, **extensions})


def _request(info: Info[Any, Any]) -> Request:
    request: Request = info.context["request"]
    return request


def _viewer(info: Info[Any, Any]) -> Identity | None:
    """The caller, as the context resolved it (None: anonymous)."""
    viewer: Identity | None = info.context.get("viewer")
    return viewer


def _caller(info: Info[Any, Any]) -> Identity:
    viewer = _viewer(info)
    if viewer is None:
        raise _error("Sign in: send Authorization: Bearer <token>", "UNAUTHENTICATED")
    return viewer


def _service(info: Info[Any, Any]) -> UsersService:
    state = app_state(_request(info))
    return UsersService(state.users, state.cache, state.cursors)


@asynccontextmanager
async def _tasks(info: Info[Any, Any]) -> AsyncIterator[Tasks]:
    """The request's `Tasks`, as `TasksDep` gives a route: flushed before the answer."""
    request = _request(info)
    background = BackgroundTasks()
    max_bytes = app_settings(request).task_max_message_bytes
    tasks = Tasks(app_state(request).task_queue, background, max_message_bytes=max_bytes)
    yield tasks
    await tasks.flush()
    # Run after the answer is sent (in-process tasks); strawberry attaches it.
    info.context["response"].background = background


async def _check_create_limit(request: Request, caller: Identity) -> None:
    from limits import parse

    decision = await app_state(request).rate_limiter.hit(
        parse(CREATE_LIMIT), CREATE_LIMIT_SCOPE, caller_key(request, caller.subject)
    )
    if not decision.allowed:
        retry_after = decision.headers().get("Retry-After")
        raise _error("Too Many Requests", "RATE_LIMITED", retryAfter=retry_after)


@strawberry.type
class Query:
    @strawberry.field
    async def user(self, info: Info[Any, Any], id: int) -> User | None:
        if id < 1:
            raise GraphQLError("id must be a positive integer")  # the client's mistake: shown
        with _said_in_graphql():
            try:
                return User.of(await _service(info).get(id), _viewer(info))
            except UserNotFound:
                return None

    @strawberry.field
    async def users(
        self, info: Info[Any, Any], limit: int = DEFAULT_PAGE, cursor: str | None = None
    ) -> UserPage:
        if not 1 <= limit <= MAX_PAGE:
            raise _error(f"limit must be 1 to {MAX_PAGE}", "BAD_USER_INPUT")
        with _said_in_graphql():
            found, next_cursor = await _service(info).page(limit=limit, cursor=cursor)
        viewer = _viewer(info)
        return UserPage(users=[User.of(user, viewer) for user in found], next_cursor=next_cursor)


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def create_user(self, info: Info[Any, Any], name: str, email: str, age: int) -> User:
        """Also queues the welcome email and the `User <name> joined` announcement."""
        request = _request(info)
        caller = _caller(info)
        with _said_in_graphql():
            await _check_create_limit(request, caller)  # first: every attempt counts
            new = models.NewUser(name=name, email=email, age=age)
            async with _tasks(info) as tasks:
                user = await _service(info).create(new, tasks, by=caller)
        return User.of(user, caller)

    @strawberry.mutation
    async def update_user(
        self,
        info: Info[Any, Any],
        *,
        id: int,
        version: int,
        name: str | None = strawberry.UNSET,
        email: str | None = strawberry.UNSET,
        age: int | None = strawberry.UNSET,
    ) -> User:
        """Changes the fields given, if the user is still at `version` (as If-Match)."""
        sent = {"name": name, "email": email, "age": age}
        caller = _caller(info)
        with _said_in_graphql():
            changes = models.UserChanges(
                **{k: v for k, v in sent.items() if v is not strawberry.UNSET}
            )
            async with _tasks(info) as tasks:
                service = _service(info)
                user = await service.update(id, changes, tasks, expected_version=version, by=caller)
        return User.of(user, caller)

    @strawberry.mutation
    async def delete_user(self, info: Info[Any, Any], id: int, version: int | None = None) -> bool:
        """Deletes the user (if still at `version`, when given); true once it is gone."""
        caller = _caller(info)
        with _said_in_graphql():
            await _service(info).delete(id, expected_version=version, by=caller)
        return True
