"""HTTP API payload 2.0 events read and answered by hand (`http_api`): the response dict
is Mangum's `HTTPGateway` one, and an event, however malformed, gets the same verdict
and the same scope as through Mangum's handlers and the whole-scope check."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from mangum.adapter import DEFAULT_TEXT_MIME_TYPES
from mangum.handlers import HTTPGateway

from handler.platform.lambda_http.adapter import LambdaHttpAdapter
from handler.platform.lambda_http.http_api import http_api_response, is_http_api
from tests.support.events import LambdaContext, http_event, load_event
from tests.support.hostile import hostile, mutated

CONFIG: Any = {
    "api_gateway_base_path": "/",
    "text_mime_types": DEFAULT_TEXT_MIME_TYPES,
    "exclude_headers": [],
}
V2_EVENTS = ("http_api_v2", "function_url", "http_api_v2_send_notification")


def mangums(answer: dict[str, Any]) -> dict[str, Any]:
    source: Any = HTTPGateway(http_event("http_api_v2"), LambdaContext(), CONFIG)  # type: ignore[arg-type]
    response: dict[str, Any] = source(answer)
    return response


def answer(headers: list[tuple[bytes, bytes]], body: bytes = b"", status: int = 200) -> Any:
    return {"status": status, "headers": headers, "body": body}


@pytest.mark.parametrize(
    "given_answer",
    [
        answer([(b"content-type", b"application/json")], b'{"a": 1}'),
        answer([], b'{"no": "content-type"}'),
        answer([(b"Content-Type", b"text/plain; charset=utf-8")], "é".encode()),
        answer([(b"content-type", b"text/plain")], b"\xff\xfe not UTF-8"),
        answer([(b"content-type", b"image/png")], bytes(range(256))),
        answer([(b"content-type", b"application/octet-stream")], b""),
        answer(
            [
                (b"set-cookie", b"a=1; Path=/"),
                (b"Set-Cookie", b"b=2"),
                (b"vary", b"accept"),
                (b"Vary", b"origin"),
                (b"x-name", "José".encode()),
            ],
            b"ok",
            201,
        ),
        answer([(b"location", b"/elsewhere")], status=307),
    ],
)
def test_the_response_is_mangums(given_answer: dict[str, Any]) -> None:
    assert http_api_response(given_answer, DEFAULT_TEXT_MIME_TYPES) == mangums(given_answer)


_names = st.sampled_from([b"content-type", b"Content-Type", b"set-cookie", b"x-a", b"X-A"])
_values = st.sampled_from([b"text/html", b"image/gif", b"application/json"]) | st.text(
    max_size=12
).map(str.encode)


@hostile(200)
@given(
    headers=st.lists(st.tuples(_names, _values), max_size=6),
    body=st.binary(max_size=20) | st.text(max_size=20).map(str.encode),
)
def test_any_utf8_answer_is_mangums(headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    given_answer = answer(headers, body)
    assert http_api_response(given_answer, DEFAULT_TEXT_MIME_TYPES) == mangums(given_answer)


def test_a_header_name_given_as_a_bytearray_is_read_too() -> None:
    given_answer = answer([(bytearray(b"X-A"), b"1")], b"{}")  # type: ignore[list-item]
    assert http_api_response(given_answer, DEFAULT_TEXT_MIME_TYPES)["headers"]["x-a"] == "1"


def test_a_header_value_that_is_not_utf8_is_read_as_latin_1() -> None:
    given_answer = answer([(b"x-name", "José".encode("latin-1"))], b"{}")
    assert http_api_response(given_answer, DEFAULT_TEXT_MIME_TYPES)["headers"]["x-name"] == "José"


def test_custom_text_mime_types_decide_what_travels_as_text() -> None:
    given_answer = answer([(b"content-type", b"application/x-ndjson")], b"{}\n")
    assert http_api_response(given_answer, ["application/x-ndjson"])["body"] == "{}\n"
    response = http_api_response(given_answer, DEFAULT_TEXT_MIME_TYPES)
    assert response["isBase64Encoded"] is True
    assert base64.b64decode(response["body"]) == b"{}\n"


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (http_event("http_api_v2"), True),
        (http_event("function_url"), True),
        (http_event("apigw_rest_v1"), False),
        (http_event("alb"), False),
        ({**http_event("http_api_v2"), "version": "1.0"}, False),
        ({**http_event("http_api_v2"), "requestContext": {"elb": {}}}, False),
        ({**http_event("http_api_v2"), "requestContext": ["http"]}, False),
    ],
)
def test_which_events_are_read_by_hand(event: dict[str, Any], expected: bool) -> None:
    assert is_http_api(event) is expected


def verdict(read: Any, given_answer: dict[str, Any]) -> Any:
    """What an adapter's read of an event comes to: the problem, or the scope, the body
    and the response the answer would get."""
    if isinstance(read, str):
        return read
    respond, scope, body = read
    return scope, body, respond(given_answer)


@hostile(500)
@given(data=st.data(), name=st.sampled_from(V2_EVENTS))
def test_any_v2_event_reads_as_through_mangum(
    lambda_handler: LambdaHttpAdapter, data: st.DataObject, name: str
) -> None:
    event = data.draw(mutated(load_event(name)))
    assume(isinstance(event, dict))  # anything else is refused before it is read
    context = LambdaContext()
    given_answer = answer([(b"set-cookie", b"a=1"), (b"x-a", b"1"), (b"x-a", b"2")], b"{}")
    by_hand = verdict(lambda_handler._read(event, context), given_answer)
    by_mangum = verdict(lambda_handler._read_by_mangum(event, context), given_answer)
    assert by_hand == by_mangum


@pytest.mark.parametrize(
    ("stage", "path", "root_path"),
    [
        ("prod", "/prod/api/v1/users", "/prod"),
        ("prod", "/api/v1/users", ""),
        ("$default", "/api/v1/users", ""),
        ("", "/prod/api/v1/users", ""),
    ],
)
def test_a_named_stage_is_the_root_path_as_through_mangum(
    lambda_handler: LambdaHttpAdapter, stage: str, path: str, root_path: str
) -> None:
    event = http_event("http_api_v2", path=path)
    event["requestContext"]["stage"] = stage
    given_answer, context = answer([], b"{}"), LambdaContext()
    by_hand = verdict(lambda_handler._read(event, context), given_answer)
    by_mangum = verdict(lambda_handler._read_by_mangum(event, context), given_answer)
    assert by_hand == by_mangum
    assert by_hand[0]["root_path"] == root_path
