"""The users resource's errors, members of the platform's family
(`handler.platform.errors`): each says its own HTTP answer, so the app answers them with
no handler of the resource's. Adapters raise these instead of their vendor's; GraphQL
(`graphql_types`) says them with its own codes."""

from __future__ import annotations

from handler.platform.errors import PlatformError, Unavailable


class UserError(PlatformError):
    """Base of the errors a users operation raises on purpose."""


class UserNotFound(UserError):
    status_code = 404
    error = "User not found"

    def __init__(self, user_id: int) -> None:
        super().__init__(f"no user {user_id}")
        self.user_id = user_id


class EmailTaken(UserError):
    status_code = 409
    error = "Email taken"

    def __init__(self, email: str) -> None:
        super().__init__(f"another user has the email {email}")
        self.email = email


class VersionMismatch(UserError):
    """The write named a version (If-Match) that is no longer the user's."""

    status_code = 412
    error = "Precondition Failed"

    def __init__(self, user_id: int, current: int) -> None:
        super().__init__(
            f"user {user_id} is at version {current}",
            detail=f"the user is at version {current}: GET it again, then retry",
            headers={"ETag": f'"{current}"'},
        )
        self.user_id = user_id
        self.current = current


class NotOwner(UserError):
    """The caller may not change this user: neither its owner nor an admin."""

    status_code = 403
    error = "Forbidden"

    def __init__(self, user_id: int) -> None:
        super().__init__(
            f"user {user_id} is not the caller's",
            detail="only the user's owner or an admin may change it",
        )
        self.user_id = user_id


class UsersUnavailable(UserError, Unavailable):
    """The store could not be reached, or refused for now (throttled, busy). A write that
    raises this may or may not have happened."""

    error = "Users store unavailable"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, headers={"Retry-After": "1"})
