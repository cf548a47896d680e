"""The issuer's signing keys (JWKS), fetched on first use and cached for the environment.

Not PyJWT's `PyJWKClient`: it fetches with blocking `urllib` on the caller's thread (the
event loop here), refetches on *every* unknown `kid` (a client that sends random `kid`s
makes us call the issuer once per request), keeps no stale keys when the issuer is down,
and reads only `https://` (a function in a VPC without internet reads an `s3://` mirror).
The parsing stays PyJWT's (`PyJWKSet`); only the fetch policy is ours:

- first use fetches; an unknown `kid` refetches, at most once per `refresh_seconds` (60);
- keys older than `max_age_seconds` (an hour) are refetched on the next use, and kept if
  that fails: an issuer that is down for a minute locks nobody out;
- no keys at all and the fetch fails: `KeysUnavailable` (503), retried after
  `retry_seconds`, so a down issuer is asked once per few seconds, not per request.

Fetches run in a worker thread under one lock: concurrent requests wait for one fetch.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import anyio.to_thread
from jwt import PyJWK, PyJWKSet
from jwt.exceptions import PyJWKSetError

from handler.platform.auth.errors import KeysUnavailable

logger = logging.getLogger(__name__)

Fetch = Callable[[], Mapping[str, Any]]
# A JWKS is a few keys (Cognito's: 2, ~1 KB); anything far larger is not one.
MAX_JWKS_BYTES = 64 * 1024
# Only signing keys of the algorithms verification accepts are kept.
SIGNING_ALGORITHMS = frozenset({"RS256", "ES256"})


class KeyCache:
    def __init__(
        self,
        fetch: Fetch,
        *,
        refresh_seconds: float = 60.0,
        max_age_seconds: float = 3600.0,
        retry_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self.refresh_seconds = refresh_seconds
        self.max_age_seconds = max_age_seconds
        self.retry_seconds = retry_seconds
        self._clock = clock
        self._keys: dict[str, PyJWK] | None = None
        self._fetched_at = float("-inf")  # last fetch that answered
        self._tried_at = float("-inf")  # last attempt, answered or not
        self._lock = threading.Lock()
        self.fetches = 0  # attempts, for tests and the bench

    async def key(self, kid: str) -> PyJWK | None:
        """The key named `kid`, or None when the issuer has no such key (after one
        refetch, if the last was long enough ago). Raises `KeysUnavailable`."""
        keys = self._keys
        now = self._clock()
        if keys is not None and kid in keys and now - self._fetched_at < self.max_age_seconds:
            return keys[kid]  # the warm path: no thread, no lock
        return await anyio.to_thread.run_sync(self._key_slow, kid)

    def _key_slow(self, kid: str) -> PyJWK | None:
        with self._lock:
            now = self._clock()
            keys = self._keys
            stale = now - self._fetched_at >= self.max_age_seconds
            unknown = keys is None or kid not in keys
            may_refresh = now - self._tried_at >= (
                self.retry_seconds if keys is None else self.refresh_seconds
            )
            if (stale or unknown) and (may_refresh or (stale and not unknown)):
                keys = self._refresh(now) if may_refresh or keys is None else keys
            if keys is None:
                raise KeysUnavailable("the issuer's keys could not be fetched")
            return keys.get(kid)

    def _refresh(self, now: float) -> dict[str, PyJWK] | None:
        self._tried_at = now
        self.fetches += 1
        try:
            keys = parse_jwks(self._fetch())
        except Exception as exc:  # any failure of the fetch: keep what we had
            if self._keys is None:
                logger.error("JWKS fetch failed, no keys to verify with: %s", exc)
            else:
                logger.warning("JWKS fetch failed, keeping the keys we have: %s", exc)
            return self._keys
        self._keys, self._fetched_at = keys, now
        logger.info("JWKS fetched: %d signing keys", len(keys))
        return keys


def parse_jwks(document: Mapping[str, Any]) -> dict[str, PyJWK]:
    """The signing keys of a JWKS document by `kid`: RS256/ES256 keys meant for
    signatures; keys for encryption, without a `kid` or of other algorithms are left out."""
    try:
        keyset = PyJWKSet.from_dict(dict(document))
    except PyJWKSetError as exc:
        raise ValueError(f"not a usable JWKS: {exc}") from exc
    return {
        key.key_id: key
        for key in keyset.keys
        if key.key_id
        and key.algorithm_name in SIGNING_ALGORITHMS
        and key.public_key_use in (None, "sig")
    }


def jwks_fetcher(url: str, *, endpoint_url: str | None = None, timeout: float = 3.0) -> Fetch:
    """A fetch of the JWKS at `url`: `https://...` (or `http://` for a local issuer), or
    `s3://bucket/key` (a mirror, read with the function's role)."""
    parts = urlsplit(url)
    if parts.scheme == "s3":
        bucket, key = parts.netloc, parts.path.lstrip("/")
        return lambda: _from_s3(bucket, key, endpoint_url=endpoint_url, timeout=timeout)
    if parts.scheme in ("http", "https"):
        return lambda: _from_http(url, timeout=timeout)
    raise ValueError(f"JWKS URL must be https://, http:// or s3://, got {url!r}")


def _from_http(url: str, *, timeout: float) -> Mapping[str, Any]:
    # urllib, not a client library: one GET a minute at most needs no pool, and urllib3
    # (botocore's) is not imported on a path that does not otherwise need it.
    import urllib.request

    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310 - scheme checked above
    with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
        body = answer.read(MAX_JWKS_BYTES + 1)
    return _document(body)


def _from_s3(
    bucket: str, key: str, *, endpoint_url: str | None, timeout: float
) -> Mapping[str, Any]:
    from handler.platform.aws.clients import aws_client

    client = aws_client("s3", endpoint_url=endpoint_url, read_timeout=timeout, max_attempts=2)
    answer = client.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{MAX_JWKS_BYTES}")
    return _document(answer["Body"].read())


def _document(body: bytes) -> Mapping[str, Any]:
    if len(body) > MAX_JWKS_BYTES:
        raise ValueError(f"JWKS larger than {MAX_JWKS_BYTES} bytes")
    document = json.loads(body)
    if not isinstance(document, dict):
        raise ValueError("JWKS is not a JSON object")
    return document
