"""`Identity`: who a verified token says the caller is. No FastAPI here: the WebSocket
function reads it too."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Identity:
    """A caller whose token was verified.

    `subject` is the token's `sub` (Cognito: the user's UUID), the name the API knows the
    caller by: an owner, a rate-limit key, a chat name. `groups` come from the claim
    AUTH_GROUPS_CLAIM names (`cognito:groups` by default); `admin` is membership of
    AUTH_ADMIN_GROUP.
    """

    subject: str
    groups: frozenset[str] = frozenset()
    scopes: frozenset[str] = frozenset()
    admin: bool = False
    claims: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    def may_change(self, owner: str | None) -> bool:
        """The ownership rule: the owner itself, or an admin. A record nobody owns (the
        seeded users) is an admin's alone."""
        return self.admin or (owner is not None and owner == self.subject)
