"""The response cache's store on a real Redis: what is stored, and what happens to values
that were not stored by us."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from handler.platform.settings import PlatformSettings
from tests.support.platform_app import cache_and_limits_app, test_settings
from tests.support.redis_settings import REDIS_TEST_TIMEOUT

SECRET = "s" * 32


@pytest.fixture
def store(redis_url: str) -> Any:
    with redis.Redis.from_url(redis_url) as client:
        yield client


def redis_settings(redis_url: str, prefix: str, **extra: Any) -> PlatformSettings:
    return test_settings(
        redis_url=redis_url,
        redis_key_prefix=prefix,
        redis_timeout=REDIS_TEST_TIMEOUT,
        **extra,
    )


def test_values_are_stored_as_json(redis_url: str, redis_prefix: str, store: Any) -> None:
    with TestClient(cache_and_limits_app(redis_settings(redis_url, redis_prefix))) as client:
        body = client.get("/cached").json()
    raw = store.get(f"{redis_prefix}cache:answer:GET:/cached?")
    headers, stored_body = json.loads(raw)
    assert json.loads(stored_body) == body
    assert ["content-type", "application/json"] in headers


def test_signed_values_carry_an_hmac(redis_url: str, redis_prefix: str, store: Any) -> None:
    app = cache_and_limits_app(redis_settings(redis_url, redis_prefix, cache_secret=SECRET))
    with TestClient(app) as client:
        body = client.get("/cached").json()
        assert client.get("/cached").headers["x-cache"] == "HIT"
    raw: bytes = store.get(f"{redis_prefix}cache:answer:GET:/cached?")
    signature, payload = raw.split(b"_", 1)
    assert signature.startswith(b"sha256:")
    assert json.loads(json.loads(payload)[1]) == body


def test_a_forged_value_is_ignored_when_values_are_signed(
    redis_url: str, redis_prefix: str, store: Any
) -> None:
    forged = [[["content-type", "application/json"]], '{"computed_at": 0, "value": "forged"}']
    store.set(f"{redis_prefix}cache:answer:GET:/cached?", json.dumps(forged))
    app = cache_and_limits_app(redis_settings(redis_url, redis_prefix, cache_secret=SECRET))
    with TestClient(app) as client:
        answer = client.get("/cached")
    assert answer.status_code == 200
    assert answer.headers["x-cache"] == "MISS"
    assert answer.json()["value"] != "forged"


class _Exploit:
    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (self.path,))


def test_a_pickle_in_redis_is_never_unpickled(
    redis_url: str, redis_prefix: str, store: Any, tmp_path: Path
) -> None:
    marker = tmp_path / "pwned"
    store.set(f"{redis_prefix}cache:answer:GET:/cached?", pickle.dumps(_Exploit(marker)))
    with TestClient(cache_and_limits_app(redis_settings(redis_url, redis_prefix))) as client:
        answer = client.get("/cached")
    assert answer.status_code == 200
    assert answer.headers["x-cache"] == "MISS"
    assert not marker.exists()
