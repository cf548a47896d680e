"""`Requests{route, status_class}` and `Latency{route}` for every HTTP request, as pure
ASGI middleware (no body relay: it only watches the messages go by).

`route` is the matched route's method and path template, `GET /api/v1/users/{user_id}`,
read from `scope["route"]` after the router has run: never the raw path, which holds ids.
No route (a 404 anywhere, a probe) is `unmatched`; a method outside the usual verbs is
`OTHER`, so neither a path nor a method a client invents becomes a dimension value.
Latency runs to the response's last body byte (a stream's whole length); an exception
that escapes (answered by the outer error middleware) counts as a 500.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from handler.platform.metrics.names import LATENCY, REQUESTS, UNMATCHED_ROUTE
from handler.platform.metrics.recorder import Metrics

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_CLASSES = {1: "1xx", 2: "2xx", 3: "3xx", 4: "4xx", 5: "5xx"}


class RequestMetricsMiddleware:
    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        done = False

        async def watch(message: Message) -> None:
            nonlocal status, done
            kind = message["type"]
            if kind == "http.response.start":
                status = message["status"]
            elif kind == "http.response.body" and not message.get("more_body", False):
                done = True
                self._record(scope, status, started)
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except BaseException:
            if not done:  # a failure the client saw as an aborted answer
                self._record(scope, max(status, 500), started)
            raise
        if not done:  # returned without finishing the body: the client got no answer
            self._record(scope, max(status, 500), started)

    def _record(self, scope: Scope, status: int, started: float) -> None:
        elapsed = (time.perf_counter() - started) * 1000.0
        route = route_name(scope)
        status_class = _CLASSES.get(status // 100, "5xx")
        self.metrics.count(REQUESTS, route=route, status_class=status_class)
        self.metrics.milliseconds(LATENCY, elapsed, route=route)


def route_name(scope: Scope) -> str:
    """`METHOD /path/{template}` of the route that served `scope`, or `unmatched`."""
    template = getattr(scope.get("route"), "path", None)
    if not isinstance(template, str):
        return UNMATCHED_ROUTE
    method = scope.get("method", "")
    return f"{method if method in _METHODS else 'OTHER'} {template}"
