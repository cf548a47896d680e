"""A cached answer as the client received it: the encoded body and the headers worth
replaying, stored as JSON (`[headers, body]`, the body's bytes as a latin-1 string, which
maps each byte to one character and back).

A hit sends these bytes again: no response model, no encoder. Headers that describe one
request or one caller are never stored (`per_request`); the length is recomputed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

RawHeaders = list[tuple[bytes, bytes]]
# Headers that describe one request or one caller, never the cached answer: replaying
# them would show a stale count, a foreign id or a wrong length.
PER_REQUEST = frozenset(
    {
        b"set-cookie",
        b"content-length",
        b"retry-after",
        b"x-request-id",
        b"x-process-time",
        b"x-cache",
        b"ratelimit",
        b"ratelimit-policy",
    }
)
_PER_REQUEST_PREFIXES = (b"x-ratelimit-", b"ratelimit-")


def per_request(name: bytes) -> bool:
    lowered = name.lower()
    return lowered in PER_REQUEST or lowered.startswith(_PER_REQUEST_PREFIXES)


def sets_cookie(raw_headers: Iterable[tuple[bytes, bytes]]) -> bool:
    return any(name.lower() == b"set-cookie" for name, _ in raw_headers)


def replayable(raw_headers: RawHeaders, added_by_dependencies: RawHeaders) -> RawHeaders | None:
    """The headers of an answer worth storing: without those the dependencies added
    (each pair counted once; they run again on a hit) and the per-request ones. None when
    the answer sets a cookie: it is then for one caller."""
    if sets_cookie(raw_headers):
        return None
    theirs = Counter(added_by_dependencies)
    kept = []
    for pair in raw_headers:
        if theirs[pair]:
            theirs[pair] -= 1
        elif not per_request(pair[0]):
            kept.append(pair)
    return kept


def encode_answer(body: bytes, headers: RawHeaders) -> list[Any]:
    """The JSON value to store."""
    pairs = [[name.decode("latin-1"), value.decode("latin-1")] for name, value in headers]
    return [pairs, body.decode("latin-1")]


def decode_answer(value: Any) -> tuple[bytes, RawHeaders] | None:
    """The body and headers of a stored value; None for anything we did not store (a
    value of another version reads as a miss)."""
    if not isinstance(value, list) or len(value) != 2:
        return None
    pairs, body = value
    if not isinstance(body, str) or not isinstance(pairs, list):
        return None
    try:
        headers = [
            (name.encode("latin-1"), text.encode("latin-1"))
            for name, text in pairs
            if not per_request(name.encode("latin-1"))
        ]
        return body.encode("latin-1"), headers
    except (TypeError, ValueError, AttributeError):
        return None
