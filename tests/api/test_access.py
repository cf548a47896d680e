"""Who may do what (ARCHITECTURE.md, docs/auth.md), every rule of the table through
TestClient and through the Lambda adapter, with tokens of the development issuer; plus
the 401 shapes, an issuer whose keys cannot be read (503), CORS and the OpenAPI scheme.
The same rules end to end, with Cognito tokens, are in tests/e2e."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI

from handler.app import create_app
from handler.settings import Settings
from tests.support.auth import CLIENT_ID, ISSUER, Issuer, SigningKey, bearer
from tests.support.servers import free_port
from tests.support.transports import TRANSPORTS, Answer, Http, transport

SETTINGS = Settings(environment="test")
ALICE, BOB = bearer(SETTINGS, "alice"), bearer(SETTINGS, "bob")
ADMIN = bearer(SETTINGS, "root", admin=True)
GARY = {"name": "Gary", "email": "gary@example.com", "age": 4}


@pytest.fixture(params=TRANSPORTS)
def http(request: pytest.FixtureRequest, app: FastAPI) -> Iterator[Http]:
    with transport(request.param, app) as call:
        yield call


def created_by(http: Http, who: dict[str, str], email: str = "gary@example.com") -> int:
    answer = http("POST", "/api/v1/users", json={**GARY, "email": email}, headers=who)
    assert answer.status == 201, answer.text
    user_id: int = answer.json()["id"]
    return user_id


def unauthorized(answer: Answer, error: str | None = None) -> bool:
    challenge = answer.headers.get("www-authenticate", "")
    expected = f'Bearer error="{error}"' if error else "Bearer"
    return (
        answer.status == 401
        and answer.json()["error"] == "Unauthorized"
        and (challenge.startswith(expected) if error else challenge == "Bearer")
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/users"),
        ("GET", "/api/v2/users"),
        ("GET", "/api/v1/users/1"),
        ("GET", "/health"),
        ("GET", "/cached"),
        ("GET", "/openapi.json"),
        ("GET", "/chat"),
    ],
)
def test_anyone_reads(http: Http, method: str, path: str) -> None:
    assert http(method, path).status == 200


def test_graphql_queries_are_for_anyone_and_mutations_for_the_signed_in(http: Http) -> None:
    query = http("POST", "/graphql", json={"query": "{ user(id: 1) { name } }"})
    assert query.json() == {"data": {"user": {"name": "Patrick"}}}
    mutation = 'mutation { createUser(name: "G", email: "g@example.com", age: 1) { id owner } }'
    anonymous = http("POST", "/graphql", json={"query": mutation})
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    signed_in = http("POST", "/graphql", json={"query": mutation}, headers=ALICE)
    assert signed_in.json()["data"]["createUser"]["owner"] == "alice"
    new_id = signed_in.json()["data"]["createUser"]["id"]
    delete = f"mutation {{ deleteUser(id: {new_id}) }}"
    refused = http("POST", "/graphql", json={"query": delete}, headers=BOB)
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert http("POST", "/graphql", json={"query": delete}, headers=ALICE).json() == {
        "data": {"deleteUser": True}
    }


def test_creating_needs_a_signed_in_identity_which_becomes_the_owner(http: Http) -> None:
    assert unauthorized(http("POST", "/api/v1/users", json=GARY))
    created = http("POST", "/api/v2/users", json=GARY, headers=ALICE)
    assert created.status == 201
    assert created.json()["owner"] == "alice"


def test_notifications_need_a_signed_in_identity(http: Http) -> None:
    params = {"email": "ada@example.com"}
    assert unauthorized(http("POST", "/send-notification/", params=params))
    assert http("POST", "/send-notification/", params=params, headers=ALICE).status == 200


def test_only_the_owner_or_an_admin_changes_or_deletes_a_user(http: Http) -> None:
    user_id = created_by(http, ALICE)
    path = f"/api/v1/users/{user_id}"
    patch = {"age": 5}
    assert unauthorized(http("PATCH", path, json=patch, headers={"if-match": "*"}))
    assert unauthorized(http("DELETE", path))
    for method in ("PATCH", "DELETE"):
        answer = http(method, path, json=patch, headers={"if-match": "*", **BOB})
        assert answer.status == 403
        assert answer.json()["error"] == "Forbidden"
    assert http("GET", path).json()["version"] == 1, "a refused write changed nothing"
    assert http("PATCH", path, json=patch, headers={"if-match": '"1"', **ALICE}).status == 200
    assert http("PATCH", path, json={"age": 6}, headers={"if-match": "*", **ADMIN}).status == 200
    assert http("DELETE", path, headers=ALICE).status == 204
    other = f"/api/v1/users/{created_by(http, BOB, 'bob@example.com')}"
    assert http("DELETE", other, headers=ADMIN).status == 204


def test_the_seeded_users_are_an_admins(http: Http) -> None:
    assert http("DELETE", "/api/v1/users/2", headers=ALICE).status == 403
    assert (
        http("PATCH", "/api/v1/users/1", json={"age": 1}, headers={"if-match": "*", **ALICE}).status
        == 403
    )
    assert http("DELETE", "/api/v1/users/2", headers=ADMIN).status == 204


def test_announcements_are_for_admins(http: Http) -> None:
    body = {"text": "maintenance at noon"}
    assert unauthorized(http("POST", "/api/v2/announcements", json=body))
    refused = http("POST", "/api/v2/announcements", json=body, headers=ALICE)
    assert refused.status == 403
    assert refused.json()["detail"] == "only admins may do this"
    assert http("POST", "/api/v2/announcements", json=body, headers=ADMIN).status == 202


def emails(answer: Answer) -> dict[str, str | None]:
    return {user["name"]: user.get("email") for user in answer.json()["users"]}


def test_an_email_is_shown_to_its_owner_and_to_admins_only(http: Http) -> None:
    user_id = created_by(http, ALICE)
    for path in ("/api/v1/users", "/api/v2/users"):
        assert set(emails(http("GET", path)).values()) == {None}
        assert "email" not in http("GET", path).json()["users"][0], "absent, not null"
        assert emails(http("GET", path, headers=BOB))["Gary"] is None
        assert emails(http("GET", path, headers=ALICE)) == {
            "Patrick": None,
            "Sandy": None,
            "Gary": "gary@example.com",
        }
        assert None not in emails(http("GET", path, headers=ADMIN)).values()
    one = f"/api/v1/users/{user_id}"
    assert "email" not in http("GET", one).json()
    assert http("GET", one, headers=ALICE).json()["email"] == "gary@example.com"
    query = {"query": f"{{ user(id: {user_id}) {{ email }} }}"}
    assert http("POST", "/graphql", json=query).json()["data"]["user"]["email"] is None
    assert http("POST", "/graphql", json=query, headers=BOB).json()["data"]["user"]["email"] is None
    mine = http("POST", "/graphql", json=query, headers=ALICE)
    assert mine.json()["data"]["user"]["email"] == "gary@example.com"


def test_a_signed_in_read_is_never_served_from_nor_stored_in_the_shared_cache(http: Http) -> None:
    created_by(http, ALICE)
    assert http("GET", "/api/v1/users").headers["x-cache"] == "MISS"
    assert http("GET", "/api/v1/users", headers=ALICE).headers["x-cache"] == "BYPASS"
    hit = http("GET", "/api/v1/users")
    assert hit.headers["x-cache"] == "HIT"
    assert set(emails(hit).values()) == {None}


def test_rate_limits_count_per_subject_not_per_address(http: Http) -> None:
    for i in range(10):
        created_by(http, ALICE, f"a{i}@example.com")
    over = http("POST", "/api/v1/users", json={**GARY, "email": "a10@example.com"}, headers=ALICE)
    assert over.status == 429
    # The same address, another subject: its own allowance.
    assert created_by(http, BOB, "b0@example.com")


@pytest.mark.parametrize(
    ("authorization", "error"),
    [
        ("Bearer not.a.token", "invalid_token"),
        ("Bearer " + "x" * 9000, "invalid_token"),
        ("Basic YWxpY2U6c2VjcmV0", "invalid_request"),
        ("Bearer", "invalid_request"),
    ],
)
def test_a_bad_token_is_401_even_on_a_read(http: Http, authorization: str, error: str) -> None:
    for method, path in (("GET", "/api/v1/users"), ("POST", "/api/v1/users")):
        answer = http(method, path, json=GARY, headers={"Authorization": authorization})
        assert unauthorized(answer, error), answer.text
        assert "Traceback" not in answer.text


def test_an_expired_token_says_so(http: Http) -> None:
    from handler.composition import development_issuer

    old = development_issuer(SETTINGS).issue("alice", ttl=60, now=0)
    answer = http("GET", "/api/v1/users", headers={"Authorization": f"Bearer {old}"})
    assert unauthorized(answer, "invalid_token")
    assert answer.json()["detail"] == "the token has expired"


# --- another issuer: settings only -----------------------------------------------------------


@pytest.fixture(scope="module")
def issuer() -> Iterator[Issuer]:
    issuing = Issuer()
    yield issuing
    issuing.close()


def issuer_app(**overrides: Any) -> FastAPI:
    return create_app(
        Settings(environment="test", auth_issuer=ISSUER, auth_audience=CLIENT_ID, **overrides)
    )


@pytest.mark.parametrize("name", TRANSPORTS)
def test_an_issuers_tokens_are_checked_against_its_jwks(issuer: Issuer, name: str) -> None:
    with transport(name, issuer_app(auth_jwks_url=issuer.jwks_url)) as http:
        for key in (0, 1):  # RS256 and ES256
            token = {"Authorization": f"Bearer {issuer.token('carol', key=key)}"}
            assert http("POST", "/api/v1/users", json=GARY, headers=token).status in (201, 409)
        dev = http("GET", "/api/v1/users", headers=ALICE)  # the development issuer's
        assert unauthorized(dev, "invalid_token")
        admin = issuer.token("root", extra={"cognito:groups": ["admin"]})
        body = {"text": "hello"}
        announced = http(
            "POST", "/api/v2/announcements", json=body, headers={"Authorization": f"Bearer {admin}"}
        )
        assert announced.status == 202


@pytest.mark.parametrize("name", TRANSPORTS)
def test_keys_that_cannot_be_read_answer_503_and_let_nobody_in(name: str) -> None:
    closed = f"http://127.0.0.1:{free_port()}/jwks.json"
    token = SigningKey().sign({"iss": ISSUER, "sub": "mallory", "exp": 4_000_000_000})
    with transport(name, issuer_app(auth_jwks_url=closed)) as http:
        answer = http(
            "POST", "/api/v1/users", json=GARY, headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status == 503
        assert answer.json()["error"] == "Identity provider unavailable"
        assert int(answer.headers["retry-after"]) >= 1
        assert http("GET", "/api/v1/users").status == 200, "anonymous reads go on"


# --- browsers and the schema -----------------------------------------------------------------


@pytest.mark.parametrize("name", TRANSPORTS)
def test_cors_preflight_is_answered_for_the_configured_origins_only(name: str) -> None:
    app = create_app(Settings(environment="test", cors_origins="https://app.example.com"))
    preflight = {
        "Access-Control-Request-Method": "DELETE",
        "Access-Control-Request-Headers": "authorization, if-match",
    }
    with transport(name, app) as http:
        ok = http(
            "OPTIONS", "/api/v1/users/1", headers={"Origin": "https://app.example.com", **preflight}
        )
        assert ok.status == 200
        assert ok.headers["access-control-allow-origin"] == "https://app.example.com"
        assert "authorization" in ok.headers["access-control-allow-headers"].lower()
        assert "DELETE" in ok.headers["access-control-allow-methods"]
        other = http(
            "OPTIONS", "/api/v1/users/1", headers={"Origin": "https://evil.example", **preflight}
        )
        assert "access-control-allow-origin" not in other.headers
        read = http("GET", "/api/v1/users", headers={"Origin": "https://app.example.com"})
        assert read.headers["access-control-allow-origin"] == "https://app.example.com"
        assert "etag" in read.headers.get("access-control-expose-headers", "").lower()


def test_without_cors_origins_nothing_cross_origin_is_allowed(http: Http) -> None:
    read = http("GET", "/api/v1/users", headers={"Origin": "https://app.example.com"})
    assert "access-control-allow-origin" not in read.headers


def test_openapi_declares_the_bearer_scheme_and_where_it_is_needed(http: Http) -> None:
    schema = http("GET", "/openapi.json").json()
    assert schema["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An access token from the issuer (see docs/auth.md).",
    }
    paths = schema["paths"]
    for path, method in [
        ("/api/v1/users", "post"),
        ("/api/v1/users/{user_id}", "patch"),
        ("/api/v1/users/{user_id}", "delete"),
        ("/api/v2/announcements", "post"),
        ("/send-notification/", "post"),
    ]:
        operation = paths[path][method]
        assert operation["security"] == [{"bearer": []}], (path, method)
        assert {"401", "403"} <= set(operation["responses"]), (path, method)
        assert "WWW-Authenticate" in operation["responses"]["401"]["headers"]
    assert "security" not in paths["/health"]["get"]
