"""`@hit_may_skip`: a dependency a cache hit may leave unsolved.

Mark a dependency with it when it only feeds the endpoint: it guards nothing, changes
nothing, sets no header, and gives the same for every request without `Authorization`
(those bypass the shared cache). A route whose dependencies are all marked is answered
from the cache before FastAPI solves them (`handler.platform.http.caching_route`); one
unmarked dependency anywhere in the route makes its hits solve them all, as a miss does.
"""

from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T")
_MARK = "__hit_may_skip__"


def hit_may_skip(dependency: T) -> T:
    """Mark `dependency` (a function or a callable instance) and return it."""
    setattr(dependency, _MARK, True)
    return dependency


def may_skip(dependency: Any) -> bool:
    return getattr(dependency, _MARK, False) is True
