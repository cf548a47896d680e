"""What a client sends (`NewUser`, `UserChanges`), what is stored (`User`) and what the
API answers (`UserView`: the user as one caller may see it).

Pydantic only: the stores, REST and GraphQL all validate with these, so a rule holds
everywhere at once.

Emails are checked with a strict pattern, not pydantic's `EmailStr`: that needs the
email-validator package, and once it is installed FastAPI imports it on every cold start
(`fastapi.openapi.models`), about 25 ms here, for every route, not only the ones that
take an email. The pattern is the WHATWG "valid email address" (what browsers check in
`<input type=email>`), plus a dot in the domain: ASCII addresses only. Swap in `EmailStr`
if you need internationalized addresses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

if TYPE_CHECKING:
    from handler.platform.auth.identity import Identity

MAX_ID = 2**53 - 1  # JSON numbers stay exact up to here (JavaScript clients)
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL_PATTERN = rf"^[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]{{1,64}}@{_LABEL}(?:\.{_LABEL})+$"


def _lower_domain(email: str) -> str:
    # The domain is case-insensitive (the local part, strictly, is not): one spelling kept.
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


def email_key(email: str) -> str:
    """What uniqueness compares: two addresses that differ only in case are one."""
    return email.casefold()


# No control characters: a name travels into log lines and chat messages.
Name = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]*$"
    ),
]
Email = Annotated[
    str,
    StringConstraints(max_length=254, pattern=EMAIL_PATTERN),
    AfterValidator(_lower_domain),
]
Age = Annotated[int, Field(ge=0, le=150, strict=True)]


class NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    email: Email
    age: Age


def _changes_schema(schema: dict[str, Any]) -> None:
    """The schema says what the validator enforces: at least one field, none of them
    null (pydantic would document `anyOf [..., null]` for the optional fields)."""
    schema["minProperties"] = 1
    for field in schema.get("properties", {}).values():
        options = field.pop("anyOf", None)
        if options:
            field.update(next(o for o in options if o.get("type") != "null"))
        field.pop("default", None)


class UserChanges(BaseModel):
    """A partial update: the fields sent are changed, the others kept. `null` is refused
    (every field of a user is required), and so is an empty change."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_changes_schema)

    name: Name | None = None
    email: Email | None = None
    age: Age | None = None

    @model_validator(mode="after")
    def _something_to_change(self) -> UserChanges:
        if not self.model_fields_set:
            raise ValueError("nothing to change: send name, email or age")
        nulls = sorted(name for name in self.model_fields_set if getattr(self, name) is None)
        if nulls:
            raise ValueError(f"{', '.join(nulls)} cannot be null")
        return self

    def applied_to(self, user: User) -> User:
        """`user` with these changes, one version later."""
        changed: dict[str, Any] = self.model_dump(exclude_unset=True)
        return user.model_copy(update={**changed, "version": user.version + 1})


class User(BaseModel):
    """A stored user. `version` starts at 1 and grows by one per change; the API sends it
    as the `ETag` (`"3"`), and a write's `If-Match` names the version it expects.
    `owner` is the subject of the identity that created it; None for the seeded users,
    which only admins may change."""

    model_config = ConfigDict(frozen=True)

    id: int = Field(ge=1, le=MAX_ID)
    name: str
    email: str
    age: int
    version: int = Field(ge=1)
    owner: str | None = None

    @property
    def etag(self) -> str:
        return f'"{self.version}"'

    def shows_email_to(self, viewer: Identity | None) -> bool:
        """The privacy rule: a user's email is its owner's and the admins' to see."""
        return viewer is not None and viewer.may_change(self.owner)


class UserView(BaseModel):
    """A user as one caller sees it: `email` only for its owner and admins, absent (not
    null) for everyone else. REST answers this; GraphQL applies the same rule."""

    model_config = ConfigDict(frozen=True)

    id: int
    name: str
    email: str | None = Field(
        default=None,
        exclude_if=lambda email: email is None,
        description="shown to the user's owner and to admins only",
    )
    age: int
    version: int
    owner: str | None = Field(
        default=None, description="the subject that created it; null for the seeded users"
    )

    @classmethod
    def of(cls, user: User, viewer: Identity | None) -> UserView:
        email = user.email if user.shows_email_to(viewer) else None
        return cls(
            id=user.id,
            name=user.name,
            email=email,
            age=user.age,
            version=user.version,
            owner=user.owner,
        )
