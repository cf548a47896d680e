"""The users resource's errors. Adapters raise these instead of their vendor's; REST
(`routes`) and GraphQL (`graphql_types`) each say them in their own way."""

from __future__ import annotations


class UserError(Exception):
    """Base of the errors a users operation raises on purpose."""


class UserNotFound(UserError):
    def __init__(self, user_id: int) -> None:
        super().__init__(f"no user {user_id}")
        self.user_id = user_id


class EmailTaken(UserError):
    def __init__(self, email: str) -> None:
        super().__init__(f"another user has the email {email}")
        self.email = email


class VersionMismatch(UserError):
    """The write named a version (If-Match) that is no longer the user's."""

    def __init__(self, user_id: int, current: int) -> None:
        super().__init__(f"user {user_id} is at version {current}")
        self.user_id = user_id
        self.current = current


class NotOwner(UserError):
    """The caller may not change this user: neither its owner nor an admin."""

    def __init__(self, user_id: int) -> None:
        super().__init__(f"user {user_id} is not the caller's")
        self.user_id = user_id


class UsersUnavailable(UserError):
    """The store could not be reached, or refused for now (throttled, busy). A write that
    raises this may or may not have happened."""
