"""Checking an AWS Signature Version 4 the way an AWS endpoint does: recompute it with
botocore's own signer from the request as received, and compare.

Used by the emulated @connections API (`management_api.py`). botocore has signers
but no verifier; recomputing with the signer the clients use means any client that signs
as boto3 does (boto3 itself, handler.platform.realtime.senders.signed_http) is accepted.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ALGORITHM = "AWS4-HMAC-SHA256"
# How far x-amz-date may be from the server's clock, as AWS allows.
MAX_CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class SignedRequest:
    """A request as the server received it: `raw_path` percent-encoded as sent,
    `headers` with lower-case names."""

    method: str
    raw_path: str
    query_string: str
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class Refusal:
    """Why a signature is refused: AWS's error type and message (answered 403)."""

    error_type: str
    message: str


@dataclass(frozen=True)
class _Authorization:
    """The parts of an `Authorization: AWS4-HMAC-SHA256 ...` header and its date."""

    access_key: str
    date: str
    region: str
    service: str
    terminator: str
    signed_headers: list[str]
    signature: str
    amz_date: str


_UNSIGNED = Refusal("MissingAuthenticationTokenException", "Missing Authentication Token")
_INCOMPLETE = Refusal("IncompleteSignatureException", "Authorization header is incomplete.")
_UNKNOWN_KEY = Refusal(
    "UnrecognizedClientException", "The security token included in the request is invalid."
)
_WRONG_REGION = Refusal(
    "InvalidSignatureException", "Credential should be scoped to a valid region."
)
_WRONG_SCOPE = Refusal("InvalidSignatureException", "Credential should be scoped correctly.")
_MISMATCH = Refusal(
    "InvalidSignatureException",
    "The request signature we calculated does not match the signature you provided.",
)


def check_signature(
    request: SignedRequest,
    credentials: Credentials,
    *,
    region: str,
    service: str,
    now: datetime | None = None,
) -> Refusal | None:
    """None when `request` carries a valid SigV4 signature by `credentials` for `service`
    in `region`; otherwise the refusal AWS would answer."""
    parsed = _parse(request)
    if isinstance(parsed, Refusal):
        return parsed
    refusal = _scope_refusal(parsed, request, credentials, region=region, service=service)
    refusal = refusal or _clock_refusal(parsed.amz_date, now or datetime.now(UTC))
    if refusal is not None:
        return refusal
    expected = _signature(request, credentials, parsed, region=region, service=service)
    return None if hmac.compare_digest(expected, parsed.signature) else _MISMATCH


def _parse(request: SignedRequest) -> _Authorization | Refusal:
    authorization = request.headers.get("authorization", "")
    if not authorization.startswith(ALGORITHM + " "):
        return _UNSIGNED
    pairs = (part.strip().partition("=") for part in authorization[len(ALGORITHM) :].split(","))
    fields = {key: value for key, _, value in pairs if key}
    scope = fields.get("Credential", "").split("/")
    signed = [name for name in fields.get("SignedHeaders", "").split(";") if name]
    amz_date = request.headers.get("x-amz-date", "")
    if len(scope) != 5 or not (signed and fields.get("Signature") and amz_date):
        return _INCOMPLETE
    access_key, date, region, service, terminator = scope
    return _Authorization(
        access_key, date, region, service, terminator, signed, fields["Signature"], amz_date
    )


def _scope_refusal(
    auth: _Authorization,
    request: SignedRequest,
    credentials: Credentials,
    *,
    region: str,
    service: str,
) -> Refusal | None:
    if auth.access_key != credentials.access_key:
        return _UNKNOWN_KEY
    if auth.region != region:
        return _WRONG_REGION
    if auth.service != service or auth.terminator != "aws4_request":
        return _WRONG_SCOPE
    if auth.date != auth.amz_date[:8]:
        return _WRONG_SCOPE
    if "host" not in auth.signed_headers:
        return _INCOMPLETE
    missing = [name for name in auth.signed_headers if name not in request.headers]
    return _INCOMPLETE if missing else None


def _clock_refusal(amz_date: str, now: datetime) -> Refusal | None:
    try:
        signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return Refusal("IncompleteSignatureException", "X-Amz-Date is not a valid date.")
    if abs(now - signed_at) > MAX_CLOCK_SKEW:
        return Refusal("InvalidSignatureException", f"Signature expired: {amz_date}.")
    return None


def _signature(
    request: SignedRequest,
    credentials: Credentials,
    auth: _Authorization,
    *,
    region: str,
    service: str,
) -> str:
    # The URL is rebuilt from the raw (still percent-encoded) path: the signer encodes it
    # again exactly as it did on the client, so both sides canonicalise the same string.
    query = f"?{request.query_string}" if request.query_string else ""
    url = f"http://{request.headers['host']}{request.raw_path}{query}"
    rebuilt = AWSRequest(
        method=request.method,
        url=url,
        data=request.body,
        headers={name: request.headers[name] for name in auth.signed_headers},
    )
    rebuilt.context["timestamp"] = auth.amz_date
    signer = SigV4Auth(credentials, service, region)
    canonical = signer.canonical_request(rebuilt)
    return str(signer.signature(signer.string_to_sign(rebuilt, canonical), rebuilt))
