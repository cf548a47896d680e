"""HTTP API payload 2.0 events (every HTTP API and Function URL invocation), read and
answered by hand, with the same scope and the same response dict as Mangum's
`HTTPGateway`.

Mangum's way through such an event is general: `infer` asks each handler class in turn
and builds a handler object, the scope is built, then checked whole (`scope_check`),
then the stage prefix is looked for; on the way back the header values are made UTF-8
(`adapter._utf8_headers`) and `HTTPGateway.__call__` combines the headers and passes
them through three helpers. Inside a warm invocation (tests/bench/bench_http.py, GET
/api/v1/users, ~100 µs of app) the adapter added ~28 µs to a direct ASGI call (1.25-1.28x,
against issue 20's <= 1.2x): ~17 µs reading the event, ~8 µs answering, the rest the
cycle. Timed alone in a loop the same steps cost 7.5 and 2.6 µs; inside an invocation
they run 2-3x slower (a plain arithmetic loop, 1.7x), the app's work having pushed them
out of the CPU's caches: what counts is how much work is left.

Here each is one pass: the checks are the ones the scope's construction does not already
make (every other field is text or bytes because it came from text through `.encode()`,
and an event is JSON), header names seen before come from a bounded cache (the same few
arrive every time), and a header value is decoded once, as UTF-8 when it is, else as
latin-1 (what `_utf8_headers` then Mangum did in two steps); Mangum's own helpers still
decode the body and encode the answer's. The adapter now adds about half as much (~14 µs;
with an app that answers at once, 5.8 µs, from 11.8; the bench's current ratio is in
docs/performance.md). Other events
keep Mangum's handlers (`event_sources`). tests/platform/lambda_http/test_http_api.py
holds both outputs equal to Mangum's, and the verdict on hostile events equal to the
general path's.
"""

from __future__ import annotations

from typing import Any

from mangum.handlers.utils import handle_base64_response_body, maybe_encode_body

from handler.platform.lambda_http.event_sources import (
    apply_stage_prefix,
    http_api_scope,
    remember,
)
from handler.platform.lambda_http.scope_check import address_problem, method_problem

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def is_http_api(event: dict[str, Any]) -> bool:
    """Whether Mangum (with this project's handlers, ALB first) would read `event` as an
    HTTP API payload 2.0 event: version 2.0, and a request context that is not an ALB's."""
    context = event.get("requestContext")
    return event.get("version") == "2.0" and type(context) is dict and "elb" not in context


def read_http_api(
    event: dict[str, Any], context: Any, state: dict[str, Any]
) -> tuple[dict[str, Any], bytes] | str:
    """The scope (with `state`, and the stage as `root_path`) and body of an HTTP API
    event, or what makes the scope unfit for an app. Raises on a malformed event."""
    scope = http_api_scope(event, context)
    # Only these can be of the wrong type: every other field went through `.encode()`
    # (only text has one in JSON), `unquote` (text in, text out) or `int`. The usual
    # methods skip the token pattern.
    method = scope["method"]
    problem = None if type(method) is str and method in _METHODS else method_problem(method)
    if problem is None and type(scope["client"][0]) is not str:
        problem = address_problem("client", scope["client"])
    if problem is not None:
        return problem
    body = maybe_encode_body(
        event.get("body") or b"", is_base64=event.get("isBase64Encoded", False)
    )
    scope["state"] = state
    stage = event["requestContext"].get("stage")
    # Under `$default` (most APIs) there is no prefix to find: the call is skipped. The
    # scope comparison with the general path (tests/platform/lambda_http) holds the two
    # to the same answer for every stage.
    if (stage and stage != "$default") or "httpMethod" in event:
        apply_stage_prefix(scope, event)
    return scope, body


def http_api_response(answer: dict[str, Any], text_mime_types: list[str]) -> dict[str, Any]:
    """Mangum's HTTP API (payload 2.0) response dict of a buffered answer: headers by
    lower-case name (repeats joined by commas), each `set-cookie` in `cookies`, a body
    that is text when its content type is one of `text_mime_types` and is UTF-8, else
    base64. A header value that is not UTF-8 is read as latin-1 (HTTP's own)."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in answer["headers"]:
        try:
            key = _ANSWER_NAMES[name]
        except (KeyError, TypeError):  # (TypeError: a bytearray, which decodes as well)
            key = _answer_name(name)
        try:
            text = value.decode()
        except UnicodeDecodeError:
            text = value.decode("latin-1")
        if key == "set-cookie":
            cookies.append(text)
        elif key in headers:
            headers[key] = f"{headers[key]},{text}"
        else:
            headers[key] = text
    if "content-type" not in headers:
        headers["content-type"] = "application/json"
    output, is_base64 = handle_base64_response_body(answer["body"], headers, text_mime_types)
    response: dict[str, Any] = {"statusCode": answer["status"], "body": output, "headers": headers}
    if cookies:
        response["cookies"] = cookies
    response["isBase64Encoded"] = is_base64
    return response


# Answer header names seen, decoded and in lower case: an app sends the same few on every
# answer.
_ANSWER_NAMES: dict[bytes, str] = {}


def _answer_name(name: bytes) -> str:
    key = name.decode().lower()
    if type(name) is bytes:
        remember(_ANSWER_NAMES, name, key)
    return key
