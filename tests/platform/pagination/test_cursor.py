"""Cursors: what `encode` seals, `decode` opens for the same scope and key, and nothing
else: an edited, cut, foreign or malformed cursor raises `InvalidCursor`, never more."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handler.platform.pagination.cursor import MAX_CURSOR_CHARS, CursorCodec, InvalidCursor

CODEC = CursorCodec("k" * 32)
ALPHABET = string.ascii_letters + string.digits + "-_"


@pytest.mark.parametrize("position", [1, 2**53 - 1, "USER#7", ["a", 1], {"pk": "x"}])
def test_a_cursor_opens_to_what_was_sealed(position: object) -> None:
    token = CODEC.encode("users", position)
    assert CODEC.decode("users", token) == position
    assert set(token) <= set(ALPHABET + "."), "URL-safe without escaping"


def test_every_one_character_edit_is_refused() -> None:
    token = CODEC.encode("users", 17)
    for index, char in enumerate(token):
        for other in {"A", "B", "-", "."} - {char}:
            edited = token[:index] + other + token[index + 1 :]
            with pytest.raises(InvalidCursor):
                CODEC.decode("users", edited)


def test_a_cursor_of_another_listing_or_deployment_is_refused() -> None:
    token = CODEC.encode("users", 17)
    with pytest.raises(InvalidCursor):
        CODEC.decode("orders", token)
    with pytest.raises(InvalidCursor):
        CursorCodec("another deployment's key, 32 chars").decode("users", token)
    with pytest.raises(InvalidCursor):
        CODEC.decode("users", CODEC.encode("user", 17))


@pytest.mark.parametrize(
    "token",
    ["", ".", "MTc", "MTc.", ".abc", "a.b.c", "MTc.é", "MTc=.AAAA", "x" * (MAX_CURSOR_CHARS + 1)],
)
def test_malformed_cursors_are_refused(token: str) -> None:
    with pytest.raises(InvalidCursor):
        CODEC.decode("users", token)


def test_a_forged_payload_with_a_guessed_mac_is_refused() -> None:
    genuine = CODEC.encode("users", 17)
    forged_payload = CODEC.encode("users", 99).split(".")[0]
    with pytest.raises(InvalidCursor):
        CODEC.decode("users", f"{forged_payload}.{genuine.split('.')[1]}")


@given(st.text(max_size=80))
def test_any_text_is_refused_cleanly(token: str) -> None:
    with pytest.raises(InvalidCursor):
        CODEC.decode("users", token)


def test_a_codec_needs_a_key() -> None:
    with pytest.raises(ValueError, match="secret"):
        CursorCodec("")
