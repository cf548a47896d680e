"""Reading what the lifespan put in the request state, with one clear error when it is
missing (an app whose lifespan never ran: a TestClient used without `with`, a bare ASGI
call)."""

from __future__ import annotations

from typing import TypeVar, cast

from starlette.requests import HTTPConnection

T = TypeVar("T")


def lifespan_resource(connection: HTTPConnection, name: str, kind: type[T]) -> T:
    """`connection.state.<name>`, typed as `kind` (not checked at run time: `kind` may be a
    Protocol, and this runs on every request)."""
    value = getattr(connection.state, name, None)
    if value is None:
        raise RuntimeError(f"no {name} in the request state: the app's lifespan did not run")
    return cast(T, value)
