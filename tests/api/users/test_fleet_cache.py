"""Two `python -m local` processes, one Redis and one DynamoDB (moto server): a fleet of
two. What one caches the other hits; what one writes, the other reads on the very next
request, cached answers included (the write bumped their generations in Redis)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest

from handler.settings import Settings
from local.aws.moto_server import FAKE_CREDENTIALS, MotoServices
from local.aws.topology import USERS_TABLE
from tests.support.auth import bearer
from tests.support.processes import PYTHON, child_env, serving
from tests.support.redis_settings import REDIS_TEST_TIMEOUT
from tests.support.servers import free_port

NEW = {"name": "Gary", "email": "gary@example.com", "age": 4}
# The processes verify with the development issuer's key file, which this process shares.
WRITER = bearer(Settings(environment="test"), "alice")


@pytest.fixture
def fleet(redis_url: str, redis_prefix: str) -> Iterator[tuple[str, str]]:
    # moto keeps its state per process, not per server: a fresh prefix for each test.
    prefix = f"Fleet{uuid.uuid4().hex[:8]}"
    with MotoServices(prefix=prefix) as resources, ExitStack() as stack:
        env = child_env(
            drop=("REDIS_", "AWS_", "TASK_", "USERS_", "CURSOR_"),
            ENVIRONMENT="test",
            REDIS_URL=redis_url,
            REDIS_KEY_PREFIX=redis_prefix,
            REDIS_TIMEOUT=str(REDIS_TEST_TIMEOUT),
            USERS_TABLE=resources.table(USERS_TABLE),
            AWS_ENDPOINT_URL=resources.endpoint_url,
            AWS_DEFAULT_REGION=resources.region,
            CURSOR_SECRET="a fleet's shared cursor key, 32+ chars",
            **FAKE_CREDENTIALS,
        )
        urls = []
        for port in (free_port(), free_port()):
            command = [PYTHON, "-m", "local", "--port", str(port)]
            urls.append(stack.enter_context(serving(command, port=port, env=env)).url)
        yield urls[0], urls[1]


def test_a_write_through_one_process_is_read_through_the_other_at_once(
    fleet: tuple[str, str],
) -> None:
    a, b = (httpx.Client(base_url=url, timeout=10) for url in fleet)
    created = a.post("/api/v2/users", json=NEW, headers=WRITER)
    assert created.status_code == 201
    user = created.json()["id"]
    path = f"/api/v2/users/{user}"

    assert a.get(path).headers["x-cache"] == "MISS"
    seen_by_b = b.get(path)
    assert (seen_by_b.headers["x-cache"], seen_by_b.json()["age"]) == ("HIT", 4)

    changed = b.patch(path, json={"age": 5}, headers={"if-match": '"1"', **WRITER})
    assert changed.status_code == 200
    next_read = a.get(path)
    assert (next_read.headers["x-cache"], next_read.json()["age"]) == ("MISS", 5)
    assert b.get(path).headers["x-cache"] == "HIT", "cached again, at the new generation"

    assert a.get("/api/v1/users").headers["x-cache"] == "MISS"
    assert b.get("/api/v1/users").headers["x-cache"] == "HIT"
    assert a.delete(path, headers=WRITER).status_code == 204
    listing = b.get("/api/v1/users")
    assert (listing.headers["x-cache"], listing.json()["users"]) == ("MISS", [])
    assert b.get(path).status_code == 404


def test_a_cursor_one_process_issued_works_on_the_other(fleet: tuple[str, str]) -> None:
    a, b = (httpx.Client(base_url=url, timeout=10) for url in fleet)
    for i in range(3):
        assert (
            a.post(
                "/api/v1/users", json={**NEW, "email": f"g{i}@example.com"}, headers=WRITER
            ).status_code
            == 201
        )
    first = a.get("/api/v2/users", params={"limit": 2}).json()
    rest = b.get("/api/v2/users", params={"limit": 2, "cursor": first["meta"]["next_cursor"]})
    assert rest.status_code == 200
    ids = [u["id"] for u in first["users"]] + [u["id"] for u in rest.json()["users"]]
    assert sorted(ids) == [1, 2, 3]
