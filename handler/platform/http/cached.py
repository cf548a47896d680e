"""`@cached(ttl=60)`: cache a route's answer in the shared `ResponseCache`.

    router = APIRouter(route_class=CachingRoute)

    @router.get("/users")
    @cached(ttl=30, generations=["users"])
    async def list_users(...) -> Users: ...

What is stored is what the client received: the encoded body and the endpoint's headers
(`handler.platform.cache.answers`). A hit sends those bytes again, without the endpoint,
the response model or the encoder. The route's class (`CachingRoute`,
`handler.platform.http.caching_route`) does the lookup; this decorator marks the
endpoint and, when the lookup needs the endpoint's validated arguments, does it once they
are known.

- Key: method, path and the query string with its parameters sorted by name.
- `Cache-Control: no-cache` skips the read (the fresh answer is stored);
  `no-store` skips both.
- A request with `Authorization` skips both, as RFC 9111 §3.5 asks of a shared cache:
  its answer may be for that caller only (an owner sees the user's email). Anonymous
  answers are the ones shared.
- Never stored: answers that set a cookie, statuses other than 200, streaming bodies.
- Stored with the body: only the headers the endpoint itself set; per-request and
  per-caller headers never (`answers.per_request`).
- Dependencies: guards (`dependencies=[...]` on the route or its routers, and any
  dependency not marked `hit_may_skip`) run on every request, and their headers
  (`X-RateLimit-*`) are fresh on a hit. When every dependency of a route is marked
  `hit_may_skip` (it only feeds the endpoint), a hit skips them too: it is answered
  before FastAPI solves them.
- `X-Cache: HIT | MISS | BYPASS` tells which happened.
- Invalidation: `generations=` names what the answer was computed from: a list of names,
  or a function of the endpoint's validated arguments, e.g.
  `lambda args: [f"users:{args['user_id']}"]`. The key then carries each name's current
  generation (read in one round trip), and a write that calls `cache.bump("users:5")`
  makes the old answers unreachable for the whole fleet. When the generations cannot be
  read (Redis down), the answer is computed fresh and not stored.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar, get_type_hints

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from handler.platform.cache.answers import RawHeaders, decode_answer
from handler.platform.cache.store import GENERATION_SECONDS, ResponseCache
from handler.platform.metrics.names import CacheOutcome

logger = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])
Generations = Callable[[Mapping[str, Any]], Iterable[str]]
PLAN = "__response_cache__"  # the attribute of a cached endpoint that holds its plan
PENDING = "fastapi_serverless.cache"  # the scope key of one request's `Pending`


@dataclass(frozen=True)
class CachePlan:
    """What `@cached` decided once, when the route was defined."""

    ttl: float
    names: tuple[str, ...] | None  # fixed generations, known before any argument
    generations: Generations | None  # or computed from the validated arguments


@dataclass(slots=True)
class Pending:
    """One request's cache work, shared by the route (`CachingRoute`) and the endpoint."""

    store: ResponseCache
    base_key: str
    read: bool  # False with `Cache-Control: no-cache`
    key: str | None = None  # the base key plus the generations, once read
    outcome: CacheOutcome | None = None
    # The headers the dependencies had set before the endpoint ran (not stored).
    before: RawHeaders = field(default_factory=list)

    async def resolve(self, names: Sequence[str]) -> tuple[bytes, RawHeaders] | None:
        """Read the generations of `names` (setting `key`) and, unless `no-cache`, the
        answer stored under that key. `key` stays None when the generations cannot be
        read: then nothing may be read or stored."""
        found = await self.store.lookup(self.base_key, names, read=self.read)
        self.key = found.key
        return None if found.value is None else decode_answer(found.value)


class HitResponse(Response):
    """A stored answer, sent as it was received: no rendering, no header parsing."""

    def __init__(self, body: bytes, raw_headers: RawHeaders) -> None:
        self.status_code = 200
        self.body = body
        self.background = None
        self.raw_headers = [
            *raw_headers,
            (b"content-length", str(len(body)).encode("latin-1")),
        ]


def cached(
    ttl: float | timedelta, *, generations: Generations | Iterable[str] | None = None
) -> Callable[[F], F]:
    seconds = ttl.total_seconds() if isinstance(ttl, timedelta) else float(ttl)
    if not 0 < seconds < GENERATION_SECONDS:
        # Entries must not outlive a generation counter (handler.platform.cache.store).
        raise ValueError(
            f"cache ttl must be positive and under {GENERATION_SECONDS} s, got {ttl!r}"
        )
    if generations is None or callable(generations):
        plan = CachePlan(seconds, () if generations is None else None, generations)
    else:
        plan = CachePlan(seconds, tuple(generations), None)
    return functools.partial(_decorate, plan=plan)  # type: ignore[return-value]


def _decorate(endpoint: Callable[..., Any], *, plan: CachePlan) -> Callable[..., Any]:
    call = _as_async(endpoint)
    signature, request_name, response_name = _with_extra_params(endpoint)
    ours = tuple(n for n in (request_name, response_name) if n.startswith("_cache_"))

    @functools.wraps(endpoint)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        request: Request = kwargs[request_name]
        sub_response: Response = kwargs[response_name]
        for name in ours:
            del kwargs[name]
        pending = request.scope.get(PENDING, _NOT_ROUTED)
        if pending is None:  # the route decided: bypass
            return await call(*args, **kwargs)
        if pending is _NOT_ROUTED:
            _warn_not_routed(endpoint)
            return await call(*args, **kwargs)
        if pending.key is None:
            names = plan.names if plan.names is not None else list(plan.generations(kwargs))  # type: ignore[misc]
            found = await pending.resolve(names)
            if pending.key is None:
                pending.outcome = "BYPASS"
                return await call(*args, **kwargs)
            if found is not None:
                pending.outcome = "HIT"
                body, headers = found
                # FastAPI adds the dependencies' headers only to answers it builds.
                return HitResponse(body, [*headers, *sub_response.raw_headers])
        pending.before = list(sub_response.raw_headers)
        pending.outcome = "MISS"
        return await call(*args, **kwargs)

    wrapper.__signature__ = signature  # type: ignore[attr-defined]
    setattr(wrapper, PLAN, plan)
    return wrapper


_NOT_ROUTED: Any = object()


@functools.cache
def _warn_not_routed(endpoint: Callable[..., Any]) -> None:
    logger.warning(
        "@cached on %s does nothing: its router needs route_class=CachingRoute "
        "(handler.platform.http.caching_route)",
        endpoint.__qualname__,
    )


def plan_of(endpoint: Callable[..., Any]) -> CachePlan | None:
    plan: CachePlan | None = getattr(endpoint, PLAN, None)
    return plan


def _as_async(endpoint: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    if inspect.iscoroutinefunction(endpoint):
        return endpoint
    return functools.partial(run_in_threadpool, endpoint)


def _with_extra_params(endpoint: Callable[..., Any]) -> tuple[inspect.Signature, str, str]:
    """The endpoint's signature (annotations resolved in its module) plus the Request and
    Response we need; FastAPI injects one Request and one Response per endpoint, so the
    endpoint's own are reused when it declares them."""
    hints = get_type_hints(endpoint, include_extras=True)
    signature = inspect.signature(endpoint)
    params = [
        p.replace(annotation=hints.get(p.name, p.annotation)) for p in signature.parameters.values()
    ]
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
        raise TypeError(f"@cached cannot wrap {endpoint.__name__}: it takes *args/**kwargs")
    names = {}
    for name, kind in (("_cache_request", Request), ("_cache_response", Response)):
        mine = [p.name for p in params if _is_subclass(p.annotation, kind)]
        names[name] = mine[0] if mine else name
        if not mine:
            params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=kind))
    return (
        signature.replace(
            parameters=params, return_annotation=hints.get("return", signature.return_annotation)
        ),
        names["_cache_request"],
        names["_cache_response"],
    )


def _is_subclass(annotation: Any, kind: type) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, kind)
