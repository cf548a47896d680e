"""`CursorCodec`: a listing's position, sealed into an opaque, tamper-proof cursor.

    token = cursors.encode("users", 17)        # "MTc.Xb2...": JSON + HMAC, base64url
    cursors.decode("users", token)             # 17, or InvalidCursor

The position is the store's business (a last id, a key); the codec only guarantees that
what comes back is exactly what this deployment handed out for this listing (`scope`):
HMAC-SHA256 over the scope and the payload, with CURSOR_SECRET as the key, so a cursor
edited by hand, cut short, or taken from another listing or deployment is refused.
Callers still check the decoded value's shape and build the store's key themselves: a
cursor is never handed to the store as-is.

The position is signed, not encrypted: it must hold nothing the client may not see
(an id it was already shown is fine; another user's email is not). Hand-written because
it is 40 lines of the standard library (`hmac`, `base64`, `json`); itsdangerous would
add a dependency for the same three calls.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

from handler.platform.errors import PlatformError

# The key when CURSOR_SECRET is empty (development, tests): public, so anyone can forge a
# cursor. Settings refuses it in production where a shared store makes cursors matter.
DEVELOPMENT_KEY = "fastapi-serverless development cursor key, public"
MAX_CURSOR_CHARS = 512  # checked before any decoding: a client chooses the length
_MAC_BYTES = 16  # 128 bits: forging needs 2^128 guesses, and the cursor stays short


class InvalidCursor(PlatformError):
    """The cursor was not issued by this deployment for this listing (or was altered).
    One detail for every reason: which check failed would only help a forger."""

    status_code = 400
    error = "Invalid cursor"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message, detail="not a cursor this listing issued; start again without one"
        )


class CursorCodec:
    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("a cursor codec needs a secret (or DEVELOPMENT_KEY)")
        self._key = secret.encode()

    def encode(self, scope: str, position: Any) -> str:
        """`position` must be JSON (an int, a string, a small list or dict)."""
        payload = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
        return f"{_b64(payload)}.{_b64(self._mac(scope, payload))}"

    def decode(self, scope: str, token: str) -> Any:
        """The position `encode(scope, ...)` sealed into `token`; `InvalidCursor` otherwise."""
        if len(token) > MAX_CURSOR_CHARS or token.count(".") != 1:
            raise InvalidCursor("malformed cursor")
        payload_part, mac_part = token.split(".")
        try:
            payload, mac = _unb64(payload_part), _unb64(mac_part)
        except (binascii.Error, ValueError):
            raise InvalidCursor("malformed cursor") from None
        # Constant time: the comparison must not tell a forger how many bytes were right.
        if not hmac.compare_digest(mac, self._mac(scope, payload)):
            raise InvalidCursor("cursor not issued for this listing")
        try:
            return json.loads(payload)
        except ValueError:  # signed by us, so only a bug could get here
            raise InvalidCursor("malformed cursor") from None

    def _mac(self, scope: str, payload: bytes) -> bytes:
        # The scope is length-prefixed: ("ab", "c...") and ("a", "bc...") sign differently.
        message = f"{len(scope)}:{scope}:".encode() + payload
        return hmac.new(self._key, message, hashlib.sha256).digest()[:_MAC_BYTES]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    """Strict: only the canonical spelling `_b64` produces, so no two cursors decode alike."""
    if not text.isascii():
        raise ValueError("not base64url")
    data = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    if not data or _b64(data) != text:
        raise ValueError("not canonical base64url")
    return data
