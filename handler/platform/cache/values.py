"""How the cache writes a value: JSON, never pickle (a value read from Redis can at worst be
wrong, never run code), and with CACHE_SECRET an HMAC-SHA256 of its key and bytes in
front (`sha256:<hex>_<json>`), checked in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

_DIGEST = b"sha256"


class BadValue(ValueError):
    """A stored value we did not store: unsigned or badly signed."""


class ValueCodec:
    """`encode(key, value)` to bytes, `decode(key, raw)` back; `decode` raises
    `ValueError` (`BadValue`, not JSON, not UTF-8) or `RecursionError` (JSON nested deeper
    than the parser goes) for bytes that are not a value of ours."""

    def __init__(self, secret: str = "") -> None:
        self._secret = secret.encode()

    def encode(self, key: str, value: Any) -> bytes:
        payload = json.dumps(value, separators=(",", ":")).encode()
        if not self._secret:
            return payload
        return _DIGEST + b":" + self._signature(key, payload) + b"_" + payload

    def decode(self, key: str, raw: bytes) -> Any:
        return json.loads(self._verified(key, raw))

    def _verified(self, key: str, raw: bytes) -> bytes:
        if not self._secret:
            return raw
        signed, sep, payload = raw.partition(b"_")
        digest, _, signature = signed.partition(b":")
        if not sep or digest != _DIGEST:
            raise BadValue("not signed")
        if not hmac.compare_digest(signature, self._signature(key, payload)):
            raise BadValue("bad signature")
        return payload

    def _signature(self, key: str, payload: bytes) -> bytes:
        # The key's length first: no other (key, payload) split of the same bytes signs
        # alike, so a signed value cannot be replayed under a longer key.
        signed = f"{len(key)}:{key}".encode() + payload
        return hmac.new(self._secret, signed, hashlib.sha256).hexdigest().encode()
