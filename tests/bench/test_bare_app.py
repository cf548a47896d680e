"""The throughput bench's reference answers what the full stack answers, byte for byte."""

from __future__ import annotations

from fastapi.testclient import TestClient

from handler.app import create_app
from handler.settings import Settings
from tests.bench.bare_app import app as bare


def test_the_bare_app_answers_the_full_stacks_body() -> None:
    with TestClient(create_app(Settings(environment="test", redis_url=""))) as full:
        ours = [full.get("/api/v1/users") for _ in range(2)]
    theirs = TestClient(bare).get("/api/v1/users")
    assert [answer.headers["x-cache"] for answer in ours] == ["MISS", "HIT"]
    assert ours[0].content == ours[1].content == theirs.content
    assert TestClient(bare).get("/api/v1/users?limit=0").status_code == 422
