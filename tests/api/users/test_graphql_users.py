"""The users resource over GraphQL, through TestClient and the Lambda adapter: the same
store, rules, rate limit and cache invalidation as REST."""

from __future__ import annotations

from typing import Any

import pytest

from handler.api.notification_tasks import OUTBOX
from tests.support.transports import Http


def graphql(http: Http, query: str) -> dict[str, Any]:
    answer = http("POST", "/graphql", json={"query": query})
    assert answer.status == 200
    body: dict[str, Any] = answer.json()
    return body


def code(body: dict[str, Any]) -> str:
    return str(body["errors"][0]["extensions"]["code"])


CREATE_GARY = (
    'mutation { createUser(name: "Gary", email: "gary@example.com", age: 4) { id version } }'
)


def test_the_seed_query_still_answers_patrick(http: Http) -> None:
    body = graphql(http, "query { user(id: 1) { name age } }")
    assert body == {"data": {"user": {"name": "Patrick", "age": 100}}}
    assert graphql(http, "{ user(id: 99) { name } }") == {"data": {"user": None}}


def test_users_pages_with_the_same_cursors(http: Http) -> None:
    first = graphql(http, "{ users(limit: 1) { users { name } nextCursor } }")["data"]["users"]
    cursor = first["nextCursor"]
    rest = graphql(
        http, f'{{ users(limit: 1, cursor: "{cursor}") {{ users {{ name }} nextCursor }} }}'
    )
    assert [first["users"], rest["data"]["users"]["users"]] == [
        [{"name": "Patrick"}],
        [{"name": "Sandy"}],
    ]
    assert rest["data"]["users"]["nextCursor"] is None
    rest_cursor = http("GET", "/api/v2/users", params={"limit": 1}).json()["meta"]["next_cursor"]
    assert rest_cursor == cursor


@pytest.mark.parametrize(
    "query",
    ['{ users(cursor: "MQ.forged") { nextCursor } }', "{ users(limit: 0) { nextCursor } }"],
)
def test_a_bad_listing_is_the_clients_mistake(http: Http, query: str) -> None:
    assert code(graphql(http, query)) == "BAD_USER_INPUT"


def test_create_user_stores_it_for_rest_too_and_queues_the_welcome(http: Http) -> None:
    OUTBOX.clear()
    assert http("GET", "/api/v2/users").headers["x-cache"] == "MISS"
    assert http("GET", "/api/v2/users").headers["x-cache"] == "HIT"
    created = graphql(http, CREATE_GARY)["data"]["createUser"]
    assert created == {"id": 3, "version": 1}
    assert [email.to for email in OUTBOX] == ["gary@example.com"]
    listing = http("GET", "/api/v2/users")
    assert listing.headers["x-cache"] == "MISS", "the GraphQL write invalidated the REST cache"
    assert listing.json()["meta"]["count"] == 3


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ('name: "Gary", email: "not-an-email", age: 4', "BAD_USER_INPUT"),
        ('name: "", email: "gary@example.com", age: 4', "BAD_USER_INPUT"),
        ('name: "Gary", email: "gary@example.com", age: 151', "BAD_USER_INPUT"),
        ('name: "P", email: "Patrick@BikiniBottom.example", age: 4', "EMAIL_TAKEN"),
    ],
)
def test_create_user_keeps_the_rules(http: Http, arguments: str, expected: str) -> None:
    body = graphql(http, f"mutation {{ createUser({arguments}) {{ id }} }}")
    assert code(body) == expected
    assert graphql(http, "{ users { users { id } } }")["data"]["users"]["users"] == [
        {"id": 1},
        {"id": 2},
    ]


def test_update_user_needs_the_current_version(http: Http) -> None:
    assert http("GET", "/api/v1/users/2").headers["x-cache"] == "MISS"
    updated = graphql(http, "mutation { updateUser(id: 2, version: 1, age: 31) { age version } }")
    assert updated["data"]["updateUser"] == {"age": 31, "version": 2}
    stale = graphql(http, "mutation { updateUser(id: 2, version: 1, age: 32) { age } }")
    assert code(stale) == "VERSION_MISMATCH"
    assert stale["errors"][0]["extensions"]["currentVersion"] == 2
    after = http("GET", "/api/v1/users/2")
    assert (after.headers["x-cache"], after.json()["age"]) == ("MISS", 31)
    assert code(graphql(http, "mutation { updateUser(id: 2, version: 2) { age } }")) == (
        "BAD_USER_INPUT"
    )


def test_delete_user_then_it_is_gone(http: Http) -> None:
    assert graphql(http, "mutation { deleteUser(id: 2, version: 1) }") == {
        "data": {"deleteUser": True}
    }
    assert code(graphql(http, "mutation { deleteUser(id: 2) }")) == "NOT_FOUND"
    assert http("GET", "/api/v1/users/2").status == 404


def test_create_user_shares_the_rest_limit(http: Http) -> None:
    for i in range(10):
        body = {"name": "G", "email": f"g{i}@example.com", "age": 1}
        assert http("POST", "/api/v1/users", json=body).status == 201
    limited = graphql(http, CREATE_GARY)
    assert code(limited) == "RATE_LIMITED"
    assert int(limited["errors"][0]["extensions"]["retryAfter"]) > 0
