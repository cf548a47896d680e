"""`CachingRoute`: the route class that serves `@cached` endpoints from the shared cache.

    router = APIRouter(route_class=CachingRoute)

Per request, before FastAPI solves anything: bypass (`Authorization`, `no-store`), the
key from the scope (the query's normalised form memoised), and, when the route allows it
(below), the lookup itself: a hit is then sent from the stored bytes at once. Otherwise
the endpoint's wrapper (`cached`) looks up once the validated arguments are known.
After a miss, the bytes FastAPI encoded are stored as they are.

A hit skips the dependencies only when every dependency of the route, its routers'
included, is marked `hit_may_skip` and none reads headers, cookies or a body: they then
only feed the endpoint, which a hit does not run. A guard (a rate limit, a required
identity) is never marked, so it runs on every request.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Coroutine, MutableMapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import request_params_to_args
from fastapi.routing import APIRoute

from handler.platform.cache.answers import encode_answer, replayable
from handler.platform.cache.store import ResponseCache
from handler.platform.http.app_state import PlatformState, state_of
from handler.platform.http.cached import PENDING, CachePlan, HitResponse, Pending, plan_of
from handler.platform.http.hit_skip import may_skip
from handler.platform.metrics.names import CacheOutcome

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
MAX_KEY_QUERY = 200
_OUTCOMES: dict[str, tuple[bytes, bytes]] = {
    name: (b"x-cache", name.encode()) for name in ("HIT", "MISS", "BYPASS")
}


class CachingRoute(APIRoute):
    """An `APIRoute` whose `@cached` endpoint is answered from the cache when it can."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()
        plan = plan_of(self.endpoint)
        if plan is None:
            return handler
        return RouteCache(plan, handler, _effective_dependant(self)).handle


class RouteCache:
    """One route's cache: what can be decided once is decided here, at start-up."""

    def __init__(self, plan: CachePlan, handler: Handler, dependant: Dependant) -> None:
        self.plan = plan
        self.handler = handler
        self.early = hit_may_skip_dependencies(dependant)
        self.path_params = dependant.path_params
        self.query_params = dependant.query_params

    async def handle(self, request: Request) -> Response:
        scope = request.scope
        store = state_of(request, PlatformState).cache
        authorized, directives = _request_directives(scope["headers"])
        if authorized or "no-store" in directives:
            scope[PENDING] = None
            return _marked(await self.handler(request), "BYPASS", store)
        pending = Pending(store, _base_key(scope), read="no-cache" not in directives)
        if self.early:
            names = self._names_before_validation(request)
            if names is not None:
                found = await pending.resolve(names)
                if pending.key is None:
                    scope[PENDING] = None  # the endpoint computes; nothing is stored
                    return _marked(await self.handler(request), "BYPASS", store)
                if found is not None:
                    store.record("HIT")
                    body, headers = found
                    return HitResponse(body, [*headers, _OUTCOMES["HIT"]])
        scope[PENDING] = pending
        response = await self.handler(request)
        outcome = pending.outcome
        if outcome is None:  # the endpoint never ran (an answer of FastAPI's own)
            return response
        if outcome == "MISS" and not await _store(pending, response, self.plan.ttl):
            outcome = "BYPASS"
        return _marked(response, outcome, store)

    def _names_before_validation(self, request: Request) -> list[str] | tuple[str, ...] | None:
        """The generation names, if they can be known before FastAPI solves the route:
        fixed ones, or those of the path and query arguments validated here (None when
        they do not validate, or the function needs more: the endpoint decides then)."""
        if self.plan.names is not None or self.plan.generations is None:
            return self.plan.names
        path, errors = request_params_to_args(self.path_params, request.path_params)
        query, more = request_params_to_args(self.query_params, request.query_params)
        if errors or more:
            return None
        try:
            return list(self.plan.generations({**path, **query}))
        except (KeyError, TypeError):
            return None


def hit_may_skip_dependencies(dependant: Dependant) -> bool:
    """Whether a hit may be sent before the route's dependencies are solved."""
    if dependant.header_params or dependant.cookie_params or dependant.body_params:
        return False
    return all(
        may_skip(sub.call) and hit_may_skip_dependencies(sub) for sub in dependant.dependencies
    )


async def _store(pending: Pending, response: Response, ttl: float) -> bool:
    """Store what the client receives; False when this answer must not be cached."""
    body = getattr(response, "body", None)
    if response.status_code != 200 or not isinstance(body, bytes) or pending.key is None:
        return False
    headers = replayable(response.raw_headers, pending.before)
    if headers is None:
        return False
    await pending.store.set(pending.key, encode_answer(body, headers), ttl)
    return True


def _marked(response: Response, outcome: CacheOutcome, store: ResponseCache) -> Response:
    store.record(outcome)
    response.raw_headers.append(_OUTCOMES[outcome])
    return response


def _request_directives(headers: list[tuple[bytes, bytes]]) -> tuple[bool, frozenset[str]]:
    authorized, control = False, b""
    for name, value in headers:
        if name == b"authorization":
            authorized = True
        elif name == b"cache-control":
            control = value
    return authorized, _directives(control)


@functools.lru_cache(maxsize=256)
def _directives(header: bytes) -> frozenset[str]:
    if not header:
        return frozenset()
    text = header.decode("latin-1")
    return frozenset(part.split("=")[0].strip().lower() for part in text.split(","))


def _base_key(scope: MutableMapping[str, Any]) -> str:
    return f"answer:{scope['method']}:{scope['path']}?{_query_key(scope['query_string'])}"


@functools.lru_cache(maxsize=1024)
def _query_key(raw: bytes) -> str:
    """The query with its parameters sorted by name (stably: a repeated parameter keeps
    the order of its values, which decides what the route reads)."""
    if not raw:
        return ""
    pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True)
    query = urlencode(sorted(pairs, key=lambda pair: pair[0]))
    if len(query) > MAX_KEY_QUERY:
        query = hashlib.sha256(query.encode()).hexdigest()
    return query


def _effective_dependant(route: APIRoute) -> Dependant:
    """The dependant FastAPI solves for this route: with the dependencies of the routers
    it is included in, when FastAPI builds the handler for an inclusion."""
    import fastapi.routing

    context_var = getattr(fastapi.routing, "_effective_route_context_var", None)
    context = context_var.get() if context_var is not None else None
    if context is not None and getattr(context, "original_route", None) is route:
        dependant: Dependant = context.dependant
        return dependant
    return route.dependant
