"""`TokenVerifier` against a real issuer (its JWKS over HTTP on loopback): good tokens of
both algorithms, a generated battery of bad ones, key rotation and an issuer that is down."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handler.platform.auth.errors import InvalidToken, KeysUnavailable
from handler.platform.auth.keys import KeyCache, jwks_fetcher
from handler.platform.auth.verifier import MAX_TOKEN_BYTES, TokenVerifier
from tests.support.auth import CLIENT_ID, ISSUER, Issuer, SigningKey


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def issuer() -> Iterator[Issuer]:
    issuing = Issuer()
    yield issuing
    issuing.close()


def verifier_for(issuer: Issuer, clock: Clock | None = None, **options: Any) -> TokenVerifier:
    keys = KeyCache(jwks_fetcher(issuer.jwks_url), clock=clock or Clock())
    return TokenVerifier(
        issuer=ISSUER, keys=keys, audiences=[CLIENT_ID], leeway=30, remember=0, **options
    )


def verify(verifier: TokenVerifier, token: str) -> Any:
    return asyncio.run(verifier.verify(token))


def refused(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(InvalidToken) as caught:
        verify(verifier, token)
    return caught.value.reason


@pytest.mark.parametrize("key", [0, 1], ids=["RS256", "ES256"])
def test_a_good_access_token_gives_its_identity(issuer: Issuer, key: int) -> None:
    identity = verify(verifier_for(issuer), issuer.token("alice", key=key))
    assert identity.subject == "alice"
    assert identity.scopes == {"openid", "users:write"}
    assert not identity.admin


def test_the_admin_group_makes_an_admin(issuer: Issuer) -> None:
    token = issuer.token("root", extra={"cognito:groups": ["admin", "ops"]})
    identity = verify(verifier_for(issuer), token)
    assert identity.admin
    assert identity.groups == {"admin", "ops"}


def test_a_nested_groups_claim_is_a_path(issuer: Issuer) -> None:
    """Keycloak's `realm_access.roles`: only AUTH_GROUPS_CLAIM changes."""
    token = issuer.token("kc", realm_access={"roles": ["admin"]})
    assert verify(verifier_for(issuer, groups_claim="realm_access.roles"), token).admin
    assert not verify(verifier_for(issuer), token).admin


def test_an_id_token_with_the_audience_is_refused_where_access_is_needed(
    issuer: Issuer,
) -> None:
    token = issuer.token("alice", token_use="id", client_id=None, aud=CLIENT_ID)
    assert refused(verifier_for(issuer), token) == "token_use"


def test_a_standard_access_token_names_the_audience_in_aud(issuer: Issuer) -> None:
    """Auth0, Entra ID, Keycloak: no token_use; `aud` must name AUTH_AUDIENCE."""
    good = issuer.token("alice", token_use=None, client_id=None, aud=["api", CLIENT_ID])
    assert verify(verifier_for(issuer), good).subject == "alice"
    other = issuer.token("alice", token_use=None, client_id=None, aud="another-api")
    assert refused(verifier_for(issuer), other) == "audience"


def test_leeway_admits_a_little_clock_skew(issuer: Issuer) -> None:
    import time

    now = int(time.time())
    assert verify(verifier_for(issuer), issuer.token(exp=now - 10))
    assert verify(verifier_for(issuer), issuer.token(nbf=now + 10, iat=now))
    assert refused(verifier_for(issuer), issuer.token(exp=now - 31)) == "expired"


# --- the battery: every way a token can be wrong, generated --------------------------------


def _b64(data: dict[str, Any] | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _forged_hs256(issuer: Issuer, claims: dict[str, Any]) -> str:
    """HS256 with the issuer's public key as the secret: the classic confusion attack."""
    import hashlib
    import hmac

    from cryptography.hazmat.primitives import serialization

    public = (
        issuer.keys[0]
        .private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    head = _b64({"alg": "HS256", "typ": "JWT", "kid": issuer.keys[0].kid})
    body = _b64(claims)
    mac = hmac.new(public, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(mac)}"


Bad = tuple[str, set[str]]
Case = Callable[[Issuer, st.DataObject, str, dict[str, Any], int], Bad]
BAD: dict[str, Case] = {}


def bad(kind: str) -> Callable[[Case], Case]:
    def register(case: Case) -> Case:
        BAD[kind] = case
        return case

    return register


@bad("wrong_key")
def _wrong_key(
    issuer: Issuer, data: st.DataObject, subject: str, claims: dict[str, Any], now: int
) -> Bad:
    stranger = SigningKey(data.draw(st.sampled_from(["RS256", "ES256"])))
    stranger.kid = issuer.keys[0 if stranger.algorithm == "RS256" else 1].kid
    return stranger.sign(claims), {"bad_signature", "algorithm"}


@bad("alg_none")
def _alg_none(
    issuer: Issuer, data: st.DataObject, subject: str, claims: dict[str, Any], now: int
) -> Bad:
    head = {"alg": data.draw(st.sampled_from(["none", "None", "NONE"])), "kid": "x"}
    return f"{_b64(head)}.{_b64(claims)}.", {"algorithm"}


@bad("hs256_with_public_key")
def _hs256_with_public_key(
    issuer: Issuer, data: st.DataObject, subject: str, claims: dict[str, Any], now: int
) -> Bad:
    return _forged_hs256(issuer, claims), {"algorithm"}


@bad("expired")
def _expired(
    issuer: Issuer, data: st.DataObject, subject: str, claims: dict[str, Any], now: int
) -> Bad:
    ago = data.draw(st.integers(min_value=31, max_value=10**8))
    return issuer.token(subject, exp=now - ago, iat=now - ago - 60, nbf=None), {"expired"}


@bad("not_yet_valid")
def _not_yet_valid(
    issuer: Issuer, data: st.DataObject, subject: str, claims: dict[str, Any], now: int
) -> Bad:
    ahead = data.draw(st.integers(min_value=31, max_value=10**8))
    return issuer.token(subject, nbf=now + ahead), {"not_yet_valid"}


@bad("wrong_issuer")
def _wrong_issuer(
    issuer: Issuer, data: st.DataObject, subject: str, claims: dict[str, Any], now: int
) -> Bad:
    iss = data.draw(st.text(min_size=0, max_size=50).filter(lambda s: s != ISSUER))
    return issuer.token(subject, iss=iss), {"issuer"}


@bad("wrong_audience")
def _wrong_audience(
    issuer: Issuer, data: st.DataObject, subject: str, claims: dict[str, Any], now: int
) -> Bad:
    client = data.draw(st.text(max_size=40).filter(lambda s: s != CLIENT_ID))
    return issuer.token(subject, client_id=client), {"audience"}


@bad("id_token")
def _id_token(
    issuer: Issuer, data: st.DataObject, subject: str, claims: dict[str, Any], now: int
) -> Bad:
    return issuer.token(subject, token_use="id", client_id=None, aud=CLIENT_ID), {"token_use"}


@bad("unknown_kid")
def _unknown_kid(
    issuer: Issuer, data: st.DataObject, subject: str, claims: dict[str, Any], now: int
) -> Bad:
    stranger = SigningKey("RS256", kid=data.draw(st.from_regex(r"[a-z0-9]{1,40}", fullmatch=True)))
    return stranger.sign(claims), {"unknown_kid"}


@bad("missing_exp")
def _missing_exp(
    issuer: Issuer, data: st.DataObject, subject: str, claims: dict[str, Any], now: int
) -> Bad:
    return issuer.token(subject, exp=None), {"missing_claim"}


@bad("truncated")
def _truncated(
    issuer: Issuer, data: st.DataObject, subject: str, claims: dict[str, Any], now: int
) -> Bad:
    good = issuer.token(subject)
    cut = data.draw(st.integers(min_value=0, max_value=len(good) - 1))
    return good[:cut], {"malformed", "bad_signature", "algorithm", "unknown_kid"}


@bad("flipped")
def _flipped(
    issuer: Issuer, data: st.DataObject, subject: str, claims: dict[str, Any], now: int
) -> Bad:
    good = issuer.token(subject)
    at = data.draw(st.integers(min_value=0, max_value=len(good) - 1))
    replacement = data.draw(st.sampled_from("AbZ09-_."))
    bad = good[:at] + replacement + good[at + 1 :]
    if bad == good:
        bad = good[:at] + ("B" if good[at] != "B" else "C") + good[at + 1 :]
    return bad, {
        "malformed",
        "bad_signature",
        "algorithm",
        "unknown_kid",
        "issuer",
        "audience",
        "expired",
        "not_yet_valid",
        "missing_claim",
        "subject",
        "token_use",
    }


@bad("huge")
def _huge(
    issuer: Issuer, data: st.DataObject, subject: str, claims: dict[str, Any], now: int
) -> Bad:
    size = data.draw(st.integers(min_value=MAX_TOKEN_BYTES + 1, max_value=100_000))
    return issuer.token(subject, padding="x" * size), {"too_large"}


@bad("non_ascii")
def _non_ascii(
    issuer: Issuer, data: st.DataObject, subject: str, claims: dict[str, Any], now: int
) -> Bad:
    good = issuer.token(subject)
    at = data.draw(st.integers(min_value=0, max_value=len(good)))
    char = data.draw(st.characters(min_codepoint=128))
    return good[:at] + char + good[at:], {"malformed"}


@bad("bad_subject")
def _bad_subject(
    issuer: Issuer, data: st.DataObject, subject: str, claims: dict[str, Any], now: int
) -> Bad:
    sub = data.draw(st.sampled_from(["", "a\x00b", "x" * 257, "\n"]))
    return issuer.token(sub), {"subject", "missing_claim"}


def _bad_token(issuer: Issuer, kind: str, data: st.DataObject) -> Bad:
    """A token that must be refused, and the reasons that may say why."""
    import time

    subject = data.draw(st.text(min_size=1, max_size=30), label="subject")
    return BAD[kind](issuer, data, subject, issuer.claims(subject), int(time.time()))


KINDS = sorted(BAD)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(kind=st.sampled_from(KINDS), data=st.data())
def test_every_bad_token_is_refused_with_its_reason(
    issuer: Issuer, kind: str, data: st.DataObject
) -> None:
    token, reasons = _bad_token(issuer, kind, data)
    assert refused(verifier_for(issuer), token) in reasons


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=300) | st.binary(max_size=300).map(lambda b: b.decode("latin-1")))
def test_arbitrary_text_is_refused_never_raised(issuer: Issuer, text: str) -> None:
    with pytest.raises(InvalidToken):
        verify(verifier_for(issuer), text)


# --- keys: rotation, refetch budget, an issuer that is down ---------------------------------


def test_a_rotated_key_is_fetched_on_its_first_token(issuer: Issuer) -> None:
    clock = Clock()
    verifier = verifier_for(issuer, clock)
    verify(verifier, issuer.token())
    assert verifier.keys.fetches == 1
    new = SigningKey("RS256")
    issuer.keys.append(new)
    try:
        clock.now += 61
        assert verify(verifier, new.sign(issuer.claims("bob"))).subject == "bob"
        assert verifier.keys.fetches == 2
    finally:
        issuer.keys.remove(new)


def test_unknown_kids_refetch_at_most_once_a_minute(issuer: Issuer) -> None:
    clock = Clock()
    verifier = verifier_for(issuer, clock)
    verify(verifier, issuer.token())
    clock.now += 61
    for i in range(70):  # 70 seconds of unknown kids
        stranger = SigningKey("ES256", kid=f"random-{i}")
        assert refused(verifier, stranger.sign(issuer.claims())) == "unknown_kid"
        clock.now += 1
    # The first token's fetch, one refetch for the first unknown kid, one a minute later.
    assert verifier.keys.fetches == 3


def test_an_issuer_down_at_the_first_token_is_unavailable_not_a_pass(issuer: Issuer) -> None:
    clock = Clock()
    verifier = verifier_for(issuer, clock)
    issuer.up = False
    try:
        with pytest.raises(KeysUnavailable):
            verify(verifier, issuer.token())
        with pytest.raises(KeysUnavailable):  # asked again only after retry_seconds
            verify(verifier, issuer.token())
        assert verifier.keys.fetches == 1
        clock.now += 6
        issuer.up = True
        assert verify(verifier, issuer.token()).subject == "alice"
    finally:
        issuer.up = True


def test_an_issuer_down_later_keeps_the_keys_we_have(issuer: Issuer) -> None:
    clock = Clock()
    verifier = verifier_for(issuer, clock)
    verify(verifier, issuer.token())
    issuer.up = False
    try:
        clock.now += 7200  # past max age: a refetch is tried, fails, the old keys serve
        assert verify(verifier, issuer.token("bob")).subject == "bob"
        assert verifier.keys.fetches == 2
    finally:
        issuer.up = True


def test_a_closed_port_is_unavailable() -> None:
    from tests.support.servers import free_port

    keys = KeyCache(jwks_fetcher(f"http://127.0.0.1:{free_port()}/jwks.json", timeout=1))
    verifier = TokenVerifier(issuer=ISSUER, keys=keys, audiences=[CLIENT_ID])
    with pytest.raises(KeysUnavailable):
        verify(verifier, SigningKey().sign({"sub": "a"}))


def test_a_verified_token_is_remembered_until_it_expires(issuer: Issuer) -> None:
    import time

    clock = Clock()
    clock.now = time.time()
    keys = KeyCache(jwks_fetcher(issuer.jwks_url))
    verifier = TokenVerifier(issuer=ISSUER, keys=keys, audiences=[CLIENT_ID], clock=clock)
    token = issuer.token(exp=int(clock.now) + 60)
    first = verify(verifier, token)
    assert verify(verifier, token) is first
    clock.now += 200  # past exp + leeway by this clock: checked again, not remembered
    assert verify(verifier, token) is not first


def test_the_jwks_can_be_an_s3_mirror(issuer: Issuer, aws_env: None) -> None:
    """A function in a VPC without internet reads `s3://bucket/key` (moto's S3)."""
    from moto import mock_aws

    from handler.platform.aws.clients import aws_client

    with mock_aws():
        s3 = aws_client("s3")
        region = s3.meta.region_name
        where: Any = {"LocationConstraint": region}  # a str, where the stubs list regions
        s3.create_bucket(Bucket="keys", CreateBucketConfiguration=where)
        document = {"keys": [key.jwk for key in issuer.keys]}
        s3.put_object(Bucket="keys", Key="jwks.json", Body=json.dumps(document).encode())
        keys = KeyCache(jwks_fetcher("s3://keys/jwks.json"))
        verifier = TokenVerifier(issuer=ISSUER, keys=keys, audiences=[CLIENT_ID])
        assert verify(verifier, issuer.token("carol", key=1)).subject == "carol"


def test_a_jwks_of_other_key_kinds_yields_no_signing_key() -> None:
    from handler.platform.auth.keys import parse_jwks

    hmac_key = {"kty": "oct", "k": "c2VjcmV0", "kid": "h"}
    encrypting = {**SigningKey("RS256", kid="e").jwk, "use": "enc"}
    assert parse_jwks({"keys": [hmac_key, encrypting, SigningKey(kid="s").jwk]}).keys() == {"s"}


def test_unverified_decoding_is_never_what_decides() -> None:
    """A token whose payload says anything at all, unsigned: refused before its claims are
    read (the verifier uses jwt.decode with keys, never options that skip the signature)."""
    unsigned = jwt.encode({"sub": "root", "cognito:groups": ["admin"]}, key="", algorithm="none")
    keys = KeyCache(lambda: {"keys": [SigningKey(kid="k").jwk]})
    verifier = TokenVerifier(issuer=ISSUER, keys=keys)
    assert refused(verifier, unsigned) == "algorithm"
