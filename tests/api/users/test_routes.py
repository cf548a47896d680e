"""Every users route, through TestClient and through the Lambda adapter (`http`), on the
app's seeded memory store: shapes, statuses, headers, cache and invalidation."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from handler.api.notification_tasks import OUTBOX
from handler.api.users.errors import UsersUnavailable
from handler.api.users.memory_users import MemoryUserStore
from handler.api.users.routes import get_user_store
from tests.support.transports import Answer, Http, transport

# As anyone but an admin sees it: no email (the seeded users are nobody's).
PATRICK = {"id": 1, "name": "Patrick", "age": 100, "version": 1, "owner": None}
GARY = {"name": "Gary", "email": "gary@bikinibottom.example", "age": 4}


def is_error(answer: Answer, status: int, error: str) -> bool:
    body = answer.json()
    return answer.status == status and body["error"] == error and body["path"].startswith("http")


def test_listings_keep_the_seed_shapes(http: Http) -> None:
    v1, v2 = http("GET", "/api/v1/users"), http("GET", "/api/v2/users")
    assert set(v1.json()) == {"version", "users"}
    assert v1.json()["version"] == "1"
    assert v1.json()["users"][0] == PATRICK
    assert [user["name"] for user in v1.json()["users"]] == ["Patrick", "Sandy"]
    assert v2.json() == {**v1.json(), "version": "2", "meta": {"count": 2, "next_cursor": None}}
    assert "link" not in v1.headers


def test_pages_follow_the_cursor_in_v2_and_the_link_in_v1(http: Http) -> None:
    first = http("GET", "/api/v2/users", params={"limit": 1})
    cursor = first.json()["meta"]["next_cursor"]
    second = http("GET", "/api/v2/users", params={"limit": 1, "cursor": cursor})
    assert [p.json()["users"][0]["name"] for p in (first, second)] == ["Patrick", "Sandy"]
    assert second.json()["meta"] == {"count": 1, "next_cursor": None}
    v1 = http("GET", "/api/v1/users", params={"limit": 1})
    assert v1.headers["link"] == f'<?limit=1&cursor={cursor}>; rel="next"'


@pytest.mark.parametrize("limit", ["0", "101", "ten"])
def test_a_limit_out_of_range_is_refused(http: Http, limit: str) -> None:
    assert is_error(http("GET", "/api/v2/users", params={"limit": limit}), 422, "Validation error")


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_a_tampered_cursor_answers_400(http: Http, version: str) -> None:
    cursor = http("GET", "/api/v2/users", params={"limit": 1}).json()["meta"]["next_cursor"]
    tampered = cursor.replace(cursor[0], "N" if cursor[0] != "N" else "M", 1)
    answer = http("GET", f"/api/{version}/users", params={"cursor": tampered})
    assert is_error(answer, 400, "Invalid cursor")
    assert "start again" in answer.json()["detail"]


def test_a_create_answers_201_with_location_and_etag_and_queues_the_welcome(http: Http) -> None:
    OUTBOX.clear()
    created = http("POST", "/api/v2/users", json=GARY)
    assert created.status == 201
    assert created.json() == {**GARY, "id": 3, "version": 1, "owner": "root"}
    assert created.headers["location"] == "/api/v2/users/3"
    assert created.headers["etag"] == '"1"'
    assert [email.to for email in OUTBOX] == [GARY["email"]]
    anonymous = {k: v for k, v in created.json().items() if k != "email"}
    assert http("GET", "/api/v1/users/3").json() == anonymous


@pytest.mark.parametrize(
    "body",
    [
        {**GARY, "name": ""},
        {**GARY, "name": "x" * 101},
        {**GARY, "name": "   "},
        {**GARY, "name": "Gary\nINFO forged log line"},
        {**GARY, "email": "gary"},
        {**GARY, "email": "gary@localhost"},
        {**GARY, "email": "gary smith@example.com"},
        {**GARY, "age": -1},
        {**GARY, "age": 151},
        {**GARY, "age": "4"},
        {**GARY, "age": 4.5},
        {**GARY, "admin": True},
        {"name": "Gary", "age": 4},
    ],
)
def test_an_invalid_user_is_refused_and_nothing_is_stored(http: Http, body: dict[str, Any]) -> None:
    assert is_error(http("POST", "/api/v1/users", json=body), 422, "Validation error")
    assert http("GET", "/api/v2/users").json()["meta"]["count"] == 2


def test_the_edges_of_the_rules_are_accepted(http: Http) -> None:
    body = {"name": "x" * 100, "email": "a.b+c@sub.example.co", "age": 150}
    assert http("POST", "/api/v1/users", json=body).status == 201
    assert http("POST", "/api/v1/users", json={**body, "email": "z@x.io", "age": 0}).status == 201


def test_a_taken_email_answers_409_whatever_its_case(http: Http) -> None:
    answer = http("POST", "/api/v1/users", json={**GARY, "email": "PATRICK@bikinibottom.example"})
    assert is_error(answer, 409, "Email taken")


def test_creates_are_limited_to_ten_a_minute_per_client_across_versions(http: Http) -> None:
    answers = [
        http("POST", f"/api/v{1 + i % 2}/users", json={**GARY, "email": f"g{i}@example.com"})
        for i in range(11)
    ]
    assert [a.status for a in answers] == [201] * 10 + [429]
    assert is_error(answers[-1], 429, "Too Many Requests")
    assert int(answers[-1].headers["retry-after"]) > 0


def test_one_user_has_an_etag_and_is_cached_until_it_changes(http: Http) -> None:
    first, second = http("GET", "/api/v1/users/1"), http("GET", "/api/v2/users/1")
    again = http("GET", "/api/v1/users/1")
    assert first.json() == PATRICK
    assert first.headers["etag"] == again.headers["etag"] == '"1"'
    assert [a.headers["x-cache"] for a in (first, second, again)] == ["MISS", "MISS", "HIT"]
    http("PATCH", "/api/v2/users/1", json={"age": 101}, headers={"if-match": '"1"'})
    after = http("GET", "/api/v1/users/1")
    assert after.headers["x-cache"] == "MISS"
    assert (after.json()["age"], after.headers["etag"]) == (101, '"2"')


def test_listings_are_cached_until_a_user_is_created_or_deleted(http: Http) -> None:
    assert http("GET", "/api/v2/users").headers["x-cache"] == "MISS"
    assert http("GET", "/api/v2/users").headers["x-cache"] == "HIT"
    http("POST", "/api/v2/users", json=GARY)
    after_create = http("GET", "/api/v2/users")
    assert (after_create.headers["x-cache"], after_create.json()["meta"]["count"]) == ("MISS", 3)
    http("DELETE", "/api/v2/users/3")
    after_delete = http("GET", "/api/v2/users")
    assert (after_delete.headers["x-cache"], after_delete.json()["meta"]["count"]) == ("MISS", 2)


@pytest.mark.parametrize(("path", "status"), [("/api/v1/users/99", 404), ("/api/v2/users/0", 422)])
def test_a_missing_or_impossible_id(http: Http, path: str, status: int) -> None:
    answer = http("GET", path)
    assert answer.status == status
    assert {"error", "path"} <= set(answer.json())


def test_a_patch_without_if_match_answers_428(http: Http) -> None:
    answer = http("PATCH", "/api/v1/users/1", json={"age": 5})
    assert is_error(answer, 428, "Precondition Required")
    assert http("GET", "/api/v1/users/1").json()["age"] == 100


@pytest.mark.parametrize("if_match", ['"2"', 'W/"1"', '"1", "2"', "1", "garbage"])
def test_a_patch_at_another_version_answers_412_with_the_current_etag(
    http: Http, if_match: str
) -> None:
    answer = http("PATCH", "/api/v2/users/1", json={"age": 5}, headers={"if-match": if_match})
    assert is_error(answer, 412, "Precondition Failed")
    assert http("GET", "/api/v1/users/1").json()["age"] == 100


def test_a_stale_patch_names_the_current_version(http: Http) -> None:
    http("PATCH", "/api/v1/users/2", json={"age": 31}, headers={"if-match": '"1"'})
    stale = http("PATCH", "/api/v1/users/2", json={"age": 32}, headers={"if-match": '"1"'})
    assert is_error(stale, 412, "Precondition Failed")
    assert stale.headers["etag"] == '"2"'


def test_a_patch_changes_only_what_it_sends(http: Http) -> None:
    answer = http(
        "PATCH", "/api/v1/users/2", json={"name": "Sandy C."}, headers={"if-match": '"1"'}
    )
    assert answer.status == 200
    assert answer.json()["name"] == "Sandy C."
    assert (answer.json()["age"], answer.json()["version"]) == (30, 2)
    assert answer.headers["etag"] == '"2"'
    star = http("PATCH", "/api/v2/users/2", json={"age": 31}, headers={"if-match": "*"})
    assert star.json()["version"] == 3


@pytest.mark.parametrize(
    ("path", "body", "status", "error"),
    [
        ("/api/v1/users/2", {"email": "patrick@bikinibottom.example"}, 409, "Email taken"),
        ("/api/v1/users/99", {"age": 5}, 404, "User not found"),
        ("/api/v1/users/2", {}, 422, "Validation error"),
        ("/api/v1/users/2", {"age": None}, 422, "Validation error"),
        ("/api/v1/users/2", {"id": 7}, 422, "Validation error"),
    ],
)
def test_a_patch_the_rules_refuse(
    http: Http, path: str, body: dict[str, Any], status: int, error: str
) -> None:
    answer = http("PATCH", path, json=body, headers={"if-match": '"1"'})
    assert is_error(answer, status, error)


def test_a_delete_answers_204_then_404(http: Http) -> None:
    deleted = http("DELETE", "/api/v1/users/2")
    assert (deleted.status, deleted.text) == (204, "")
    assert is_error(http("DELETE", "/api/v2/users/2"), 404, "User not found")
    assert is_error(http("GET", "/api/v2/users/2"), 404, "User not found")


def test_a_delete_honours_if_match(http: Http) -> None:
    assert is_error(
        http("DELETE", "/api/v1/users/1", headers={"if-match": '"7"'}), 412, "Precondition Failed"
    )
    assert http("DELETE", "/api/v1/users/1", headers={"if-match": '"1"'}).status == 204


class DownStore(MemoryUserStore):
    async def get(self, user_id: int) -> Any:
        raise UsersUnavailable("throttled")


@pytest.mark.parametrize("name", ["testclient", "lambda"])
def test_an_unavailable_store_answers_503_with_retry_after(app: FastAPI, name: str) -> None:
    down = DownStore()
    app.dependency_overrides[get_user_store] = lambda: down
    with transport(name, app) as http:
        answer = http("GET", "/api/v1/users/1")
    assert is_error(answer, 503, "Users store unavailable")
    assert answer.headers["retry-after"] == "1"


# 500 on every route, and 400/413 (an unparsable or oversized body) on routes with one,
# come from the platform's error docs (handler/platform/http/error_docs.py).
# 401 wherever a token is read (a bad one is refused even on reads); 403 on writes.
EXPECTED_STATUSES = {
    ("/api/v1/users", "get"): {"200", "400", "401", "422", "500", "503"},
    ("/api/v1/users", "post"): {
        "201",
        "400",
        "401",
        "403",
        "409",
        "413",
        "422",
        "429",
        "500",
        "503",
    },
    ("/api/v1/users/{user_id}", "get"): {"200", "401", "404", "422", "500", "503"},
    ("/api/v1/users/{user_id}", "patch"): {
        "200",
        "400",
        "401",
        "403",
        "404",
        "409",
        "412",
        "413",
        "422",
        "428",
        "500",
        "503",
    },
    ("/api/v1/users/{user_id}", "delete"): {
        "204",
        "401",
        "403",
        "404",
        "412",
        "422",
        "500",
        "503",
    },
}


def test_openapi_documents_every_status_of_every_route(http: Http) -> None:
    paths = http("GET", "/openapi.json").json()["paths"]
    for (path, method), statuses in EXPECTED_STATUSES.items():
        for version in ("v1", "v2"):
            operation = paths[path.replace("v1", version)][method]
            assert set(operation["responses"]) == statuses, (version, path, method)
            assert operation["tags"] == [version]
    patch = paths["/api/v2/users/{user_id}"]["patch"]
    assert [p["name"] for p in patch["parameters"]] == ["user_id", "if-match"]
    error = paths["/api/v2/users/{user_id}"]["get"]["responses"]["404"]["content"]
    assert error["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
