"""The users resource over REST, the same under /api/v1 and /api/v2 except the listing:

    GET    /users               v1: {"version": "1", "users": [...]} (+ Link: rel="next")
                                v2: {"version": "2", "users": [...], "meta": {count, next_cursor}}
    POST   /users               signed in; 201, Location and ETag; 10/minute per caller
    GET    /users/{id}          ETag: "<version>"
    PATCH  /users/{id}          owner or admin; If-Match required (428 without, 412 stale)
    DELETE /users/{id}          owner or admin; 204; If-Match honoured when sent

Anyone may read; an email is shown to its user's owner and to admins only (`UserView`).

GET answers are cached for the fleet (`@cached` with the service's generations; a
request with a token is answered fresh, so a cached answer never holds an email); every
write goes through `UsersService`, which bumps them. `UsersDep` is declared here, next to
the resource: `handler.platform.http.deps` holds the platform's dependencies, and the
platform never imports the API. The resource's errors (`errors.py`) say their own
answers, in the app's one error shape.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response, Security
from pydantic import BaseModel
from starlette.requests import HTTPConnection

from handler.api.users.models import MAX_ID, NewUser, UserChanges, UserView
from handler.api.users.service import (
    CACHE_SECONDS,
    CREATE_LIMIT,
    CREATE_LIMIT_SCOPE,
    DEFAULT_PAGE,
    LISTINGS,
    MAX_PAGE,
    UsersService,
    user_generation,
)
from handler.api.users.user_store import UserStore
from handler.demo_state import app_state
from handler.platform.auth.callers import CurrentUser, OptionalUser, current_user
from handler.platform.http.cached import cached
from handler.platform.http.caching_route import CachingRoute
from handler.platform.http.deps import CacheDep, CursorsDep, TasksDep
from handler.platform.http.errors import AppError, error_responses
from handler.platform.http.hit_skip import hit_may_skip
from handler.platform.http.rate_limit import rate_limit
from handler.platform.pagination.cursor import MAX_CURSOR_CHARS

logger = logging.getLogger(__name__)
# CachingRoute: the GET answers are served from the cache before anything is solved.
v1 = APIRouter(prefix="/api/v1", tags=["v1"], route_class=CachingRoute)
v2 = APIRouter(prefix="/api/v2", tags=["v2"], route_class=CachingRoute)


@hit_may_skip
async def get_user_store(connection: HTTPConnection) -> UserStore:
    """The store the composition root chose (lifespan state `users`); tests override this."""
    return app_state(connection).users


@hit_may_skip
async def get_users(
    store: Annotated[UserStore, Depends(get_user_store)], cache: CacheDep, cursors: CursorsDep
) -> UsersService:
    return UsersService(store, cache, cursors)


UsersDep = Annotated[UsersService, Depends(get_users)]
UserId = Annotated[int, Path(ge=1, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="users per page")]
Cursor = Annotated[
    str | None,
    Query(max_length=MAX_CURSOR_CHARS, description="`next_cursor` of the previous page"),
]
IfMatch = Annotated[
    str | None, Header(description='the ETag a GET answered (`"3"`), or `*` for any version')
]
# PATCH reads If-Match itself, to answer 428 when it is missing (a declared required
# header would answer 422); the schema still says it is required.
REQUIRED_IF_MATCH: dict[str, Any] = {
    "parameters": [
        {
            "name": "if-match",
            "in": "header",
            "required": True,
            "description": 'the ETag a GET answered (`"3"`), or `*` for any version',
            "schema": {"type": "string"},
        }
    ]
}
# Signed in first, then counted: an anonymous create answers 401, never 429, and spends
# nobody's allowance (FastAPI runs `dependencies=` in order, before the parameters').
CREATE_RATE = rate_limit(CREATE_LIMIT, scope=CREATE_LIMIT_SCOPE)
CREATE_GUARDS = [Security(current_user), CREATE_RATE]
_ETAG = re.compile(r'"([1-9][0-9]{0,15})"')


class UsersV1(BaseModel):
    version: Literal["1"] = "1"
    users: list[UserView]


class Meta(BaseModel):
    count: int
    next_cursor: str | None


class UsersV2(BaseModel):
    version: Literal["2"] = "2"
    users: list[UserView]
    meta: Meta


def _one_user(arguments: Mapping[str, Any]) -> list[str]:
    return [user_generation(arguments["user_id"])]


@v1.get("/users", responses=error_responses(400, 422, 503))
@cached(ttl=CACHE_SECONDS, generations=[LISTINGS])
async def list_users_v1(
    users: UsersDep,
    viewer: OptionalUser,
    response: Response,
    limit: Limit = DEFAULT_PAGE,
    cursor: Cursor = None,
) -> UsersV1:
    """A page of users. The next page, if any, is in the `Link` header (`rel="next"`)."""
    found, next_cursor = await users.page(limit=limit, cursor=cursor)
    if next_cursor:
        query = urlencode({"limit": limit, "cursor": next_cursor})
        response.headers["Link"] = f'<?{query}>; rel="next"'
    return UsersV1(users=[UserView.of(user, viewer) for user in found])


@v2.get("/users", responses=error_responses(400, 422, 503))
@cached(ttl=CACHE_SECONDS, generations=[LISTINGS])
async def list_users_v2(
    users: UsersDep, viewer: OptionalUser, limit: Limit = DEFAULT_PAGE, cursor: Cursor = None
) -> UsersV2:
    """A page of users; `meta.next_cursor` (null on the last page) asks for the next."""
    found, next_cursor = await users.page(limit=limit, cursor=cursor)
    shown = [UserView.of(user, viewer) for user in found]
    return UsersV2(users=shown, meta=Meta(count=len(found), next_cursor=next_cursor))


@v1.post(
    "/users",
    status_code=201,
    dependencies=CREATE_GUARDS,
    responses=error_responses(409, 422, 429, 503),
)
@v2.post(
    "/users",
    status_code=201,
    dependencies=CREATE_GUARDS,
    responses=error_responses(409, 422, 429, 503),
)
async def create_user(
    new: NewUser,
    *,
    caller: CurrentUser,
    users: UsersDep,
    tasks: TasksDep,
    request: Request,
    response: Response,
) -> UserView:
    """Creates a user owned by the caller (409 if the email is taken) and queues a
    welcome email and a `User <name> joined` announcement to every chat client."""
    user = await users.create(new, tasks, by=caller)
    response.headers["Location"] = f"{request.url.path}/{user.id}"
    response.headers["ETag"] = user.etag
    return UserView.of(user, caller)


@v1.get("/users/{user_id}", responses=error_responses(404, 422, 503))
@v2.get("/users/{user_id}", responses=error_responses(404, 422, 503))
@cached(ttl=CACHE_SECONDS, generations=_one_user)
async def get_user(
    user_id: UserId, users: UsersDep, viewer: OptionalUser, response: Response
) -> UserView:
    """One user; its `ETag` is what PATCH and DELETE take as `If-Match`."""
    user = await users.get(user_id)
    response.headers["ETag"] = user.etag
    return UserView.of(user, viewer)


PATCH_ERRORS = error_responses(403, 404, 409, 412, 422, 428, 503)


@v1.patch("/users/{user_id}", responses=PATCH_ERRORS, openapi_extra=REQUIRED_IF_MATCH)
@v2.patch("/users/{user_id}", responses=PATCH_ERRORS, openapi_extra=REQUIRED_IF_MATCH)
async def update_user(
    user_id: UserId,
    changes: UserChanges,
    *,
    caller: CurrentUser,
    users: UsersDep,
    tasks: TasksDep,
    request: Request,
    response: Response,
) -> UserView:
    """Changes the fields sent; the user's owner or an admin only (403). Needs `If-Match`
    (428 without it; 412 when the user changed since that ETag, with the current one in
    `ETag`)."""
    expected = expected_version(request.headers.get("if-match"), required=True)
    user = await users.update(user_id, changes, tasks, expected_version=expected, by=caller)
    response.headers["ETag"] = user.etag
    return UserView.of(user, caller)


DELETE_ERRORS = error_responses(403, 404, 412, 422, 503)


@v1.delete("/users/{user_id}", status_code=204, responses=DELETE_ERRORS)
@v2.delete("/users/{user_id}", status_code=204, responses=DELETE_ERRORS)
async def delete_user(
    user_id: UserId, caller: CurrentUser, users: UsersDep, if_match: IfMatch = None
) -> None:
    """Deletes the user (404 if there is none); its owner or an admin only (403). With
    `If-Match`, only at that version."""
    expected = expected_version(if_match, required=False)
    await users.delete(user_id, expected_version=expected, by=caller)


def expected_version(if_match: str | None, *, required: bool) -> int | None:
    """The version an `If-Match` names; None for `*` or (when not required) no header. A
    weak or listed ETag never matches ours: 412, as RFC 9110 has it."""
    if if_match is None:
        if required:
            detail = "send If-Match with the ETag of a GET (or * for any version)"
            raise AppError("Precondition Required", status_code=428, detail=detail)
        return None
    value = if_match.strip()
    if value == "*":
        return None
    match = _ETAG.fullmatch(value)
    if match is None:
        detail = 'If-Match must be one ETag as GET answered it ("3"), or *'
        raise AppError("Precondition Failed", status_code=412, detail=detail)
    return int(match.group(1))
