"""Is the ASGI scope Mangum built from an event one an ASGI app can be given?

Mangum copies event fields into the scope without checking their types: a method given
as a list, a header value given as an object or a path given as a number reach the app
as they are and crash it deep inside (a 500 for what is the caller's mistake). API
Gateway never sends such events, but anything that can invoke the function can; this
check turns them into the adapter's 400 before the app runs. It checks the types the
ASGI HTTP spec promises, not the values a route may refuse itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# RFC 9110 `token`: what a method may be made of (bounded: no method is longer).
_METHOD = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,32}")


def scope_problem(scope: Mapping[str, Any]) -> str | None:
    """What makes `scope` unfit for an ASGI app, or None when it is fit."""
    problem = method_problem(scope.get("method"))
    if problem is not None:
        return problem
    for key in ("path", "root_path", "scheme", "http_version"):
        if not isinstance(scope.get(key), str):
            return f"{key} must be text, not {_shown(scope.get(key))}"
    raw_path = scope.get("raw_path")
    if not isinstance(scope.get("query_string"), bytes) or not isinstance(raw_path, bytes | None):
        return "the query string and the raw path must be text"
    for key in ("client", "server"):
        problem = address_problem(key, scope.get(key))
        if problem is not None:
            return problem
    return _headers_problem(scope.get("headers"))


def method_problem(method: Any) -> str | None:
    """What makes `method` no HTTP method, or None."""
    if not isinstance(method, str) or not _METHOD.fullmatch(method):
        return f"the method must be an HTTP token, not {_shown(method)}"
    return None


def address_problem(key: str, value: Any) -> str | None:
    """What makes `value` (the scope's `key`) no ASGI address, or None."""
    if not _address(value):
        return f"{key} must be a (host, port) pair, not {_shown(value)}"
    return None


def _headers_problem(headers: Any) -> str | None:
    if not isinstance(headers, list | tuple):
        return "headers must be a list of name-value pairs"
    # A plain loop of exact type checks: this runs on every invocation, over every header.
    for pair in headers:
        if type(pair) is not tuple and type(pair) is not list:
            return f"each header must be a text name and a text value, not {_shown(pair)}"
        if len(pair) != 2 or type(pair[0]) is not bytes or type(pair[1]) is not bytes:
            return f"each header must be a text name and a text value, not {_shown(pair)}"
    return None


def _address(value: Any) -> bool:
    if value is None:
        return True
    if not isinstance(value, list | tuple) or len(value) != 2:
        return False
    host, port = value
    return isinstance(host, str) and (port is None or type(port) is int)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:60] + "..."
