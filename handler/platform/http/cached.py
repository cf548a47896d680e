"""`@cached(ttl=60)`: cache a route's answer in the shared `ResponseCache`.

The decorator wraps the endpoint, not the route: dependencies (auth, rate limits) still
run on every request, and a hit goes through the route's response model like a miss.

- Key: method, path and the query string with its parameters sorted.
- `Cache-Control: no-cache` skips the read (the fresh answer is stored);
  `no-store` skips both.
- A request with `Authorization` skips both, as RFC 9111 §3.5 asks of a shared cache:
  its answer may be for that caller only (an owner sees the user's email). Anonymous
  answers are the ones shared.
- Never stored: answers that set a cookie, statuses other than 200, streaming bodies.
- Stored with the body: only the headers the endpoint itself set. Dependencies share
  FastAPI's sub-response and run again on a hit (their headers, e.g. `X-RateLimit-*`, are
  fresh then); per-request and per-caller headers are never stored (`_PER_REQUEST`).
- `X-Cache: HIT | MISS | BYPASS` tells which happened.
- Invalidation: `generations=` names what the answer was computed from, as a function of
  the endpoint's validated arguments, e.g. `lambda args: [f"users:{args['user_id']}"]`.
  The key then carries each name's current generation, and a write that calls
  `cache.bump("users:5")` makes the old answers unreachable for the whole fleet. When the
  generations cannot be read (Redis down), the answer is computed fresh and not stored.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import inspect
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any, TypeVar, get_type_hints
from urllib.parse import parse_qsl, urlencode

from fastapi import Request, Response
from fastapi.encoders import jsonable_encoder
from starlette.concurrency import run_in_threadpool

from handler.platform.cache.store import ResponseCache
from handler.platform.http.deps import CacheDep
from handler.platform.metrics.names import CacheOutcome

F = TypeVar("F", bound=Callable[..., Any])
Generations = Callable[[Mapping[str, Any]], Iterable[str]]
MAX_KEY_QUERY = 200
# Headers that describe one request or one caller, never the cached answer: replaying
# them would show a stale count, a foreign id or a wrong length.
_PER_REQUEST = frozenset(
    {
        "set-cookie",
        "content-length",
        "retry-after",
        "x-request-id",
        "x-process-time",
        "x-cache",
        "ratelimit",
        "ratelimit-policy",
    }
)
_PER_REQUEST_PREFIXES = ("x-ratelimit-", "ratelimit-")


def cached(ttl: float | timedelta, *, generations: Generations | None = None) -> Callable[[F], F]:
    seconds = ttl.total_seconds() if isinstance(ttl, timedelta) else float(ttl)
    if seconds <= 0:
        raise ValueError(f"cache ttl must be positive, got {ttl!r}")

    def decorate(endpoint: F) -> F:
        call = _as_async(endpoint)
        signature, request_name, response_name = _with_extra_params(endpoint)
        ours = {n for n in (request_name, response_name) if n.startswith("_cache_")}

        @functools.wraps(endpoint)
        async def wrapper(*args: Any, _cache_store: ResponseCache, **kwargs: Any) -> Any:
            request, response = kwargs[request_name], kwargs[response_name]
            own = {k: v for k, v in kwargs.items() if k not in ours}
            compute = functools.partial(call, *args, **own)
            names = list(generations(own)) if generations else []
            return await _serve(_cache_store, request, response, seconds, compute, names=names)

        wrapper.__signature__ = signature  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


async def _serve(
    store: ResponseCache,
    request: Request,
    sub_response: Response,
    ttl: float,
    compute: Callable[[], Awaitable[Any]],
    *,
    names: Sequence[str] = (),
) -> Any:
    directives = _cache_control(request)
    if "no-store" in directives or "authorization" in request.headers:
        return _mark(await compute(), sub_response, "BYPASS", store)
    key = request_key(request)
    if names:
        current = await store.generations(names)
        if current is None:  # unknown generations: a stored entry could be stale
            return _mark(await compute(), sub_response, "BYPASS", store)
        key += "#" + ",".join(f"{name}={value}" for name, value in zip(names, current, strict=True))
    if "no-cache" not in directives:
        entry = await store.get(key)
        if isinstance(entry, dict):
            return _mark(_restore(entry, sub_response), sub_response, "HIT", store)
    # What the dependencies put on the shared sub-response before the endpoint ran.
    before = list(sub_response.raw_headers)
    result = await compute()
    entry = _entry(result, sub_response, before)
    if entry is None:
        return _mark(result, sub_response, "BYPASS", store)
    await store.set(key, entry, ttl)
    return _mark(result, sub_response, "MISS", store)


def request_key(request: Request) -> str:
    query = urlencode(sorted(parse_qsl(request.url.query, keep_blank_values=True)))
    if len(query) > MAX_KEY_QUERY:
        query = hashlib.sha256(query.encode()).hexdigest()
    return f"http:{request.method}:{request.url.path}?{query}"


def _cache_control(request: Request) -> set[str]:
    header = request.headers.get("cache-control", "")
    return {part.split("=")[0].strip().lower() for part in header.split(",")}


def _entry(
    result: Any, sub_response: Response, before: list[tuple[bytes, bytes]]
) -> dict[str, Any] | None:
    """What to store, or None when this answer must not be cached."""
    if isinstance(result, Response):
        body = getattr(result, "body", None)
        if result.status_code != 200 or not isinstance(body, bytes):
            return None
        headers = _headers(result.raw_headers)
        if headers is None:
            return None
        return {"response": base64.b64encode(body).decode(), "headers": headers}
    # A dependency's cookie still makes the answer per caller.
    if sub_response.status_code not in (None, 200) or _sets_cookie(before):
        return None
    headers = _headers(_added(before, sub_response.raw_headers))
    if headers is None:
        return None
    return {"value": jsonable_encoder(result), "headers": headers}


def _added(
    before: list[tuple[bytes, bytes]], after: list[tuple[bytes, bytes]]
) -> list[tuple[bytes, bytes]]:
    """The headers in `after` that were not in `before` (each pair counted once)."""
    remaining = Counter(before)
    added = []
    for pair in after:
        if remaining[pair]:
            remaining[pair] -= 1
        else:
            added.append(pair)
    return added


def _sets_cookie(raw_headers: list[tuple[bytes, bytes]]) -> bool:
    return any(name.lower() == b"set-cookie" for name, _ in raw_headers)


def _headers(raw_headers: list[tuple[bytes, bytes]]) -> list[list[str]] | None:
    if _sets_cookie(raw_headers):
        return None
    decoded = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in raw_headers]
    return [[name, value] for name, value in decoded if not _per_request(name)]


def _per_request(name: str) -> bool:
    lowered = name.lower()
    return lowered in _PER_REQUEST or lowered.startswith(_PER_REQUEST_PREFIXES)


def _restore(entry: dict[str, Any], sub_response: Response) -> Any:
    # Filtered again: entries stored before the filter existed (or by another version).
    headers = [
        (k.encode("latin-1"), v.encode("latin-1"))
        for k, v in entry.get("headers", [])
        if not _per_request(k)
    ]
    if "response" in entry:
        response = Response(base64.b64decode(entry["response"]))
        response.raw_headers.extend(headers)
        return response
    sub_response.raw_headers.extend(headers)
    return entry.get("value")


def _mark(result: Any, sub_response: Response, outcome: CacheOutcome, store: ResponseCache) -> Any:
    store.record(outcome)
    # FastAPI copies the sub-response's headers only onto answers it builds itself.
    target = result if isinstance(result, Response) else sub_response
    target.headers["X-Cache"] = outcome
    return result


def _as_async(endpoint: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    if inspect.iscoroutinefunction(endpoint):
        return endpoint
    return functools.partial(run_in_threadpool, endpoint)


def _with_extra_params(endpoint: Callable[..., Any]) -> tuple[inspect.Signature, str, str]:
    """The endpoint's signature (annotations resolved in its module) plus the Request,
    Response and store we need; FastAPI injects one Request and one Response per
    endpoint, so the endpoint's own are reused when it declares them."""
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
    params.append(
        inspect.Parameter("_cache_store", inspect.Parameter.KEYWORD_ONLY, annotation=CacheDep)
    )
    return (
        signature.replace(
            parameters=params, return_annotation=hints.get("return", signature.return_annotation)
        ),
        names["_cache_request"],
        names["_cache_response"],
    )


def _is_subclass(annotation: Any, kind: type) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, kind)
