"""AWS clients: one cached factory with explicit timeouts and retries, and the region that
an endpoint URL names.

botocore's defaults (60 s connect and read timeouts, legacy retries) would let one slow
call hold a request or a WebSocket event for minutes; every client here states its
budget. Clients are built on first use (boto3's import and endpoint setup cost a few
hundred ms), shared by every adapter asking for the same configuration, and reused while
the execution environment stays warm. Adapters still accept an injected client (tests,
Stubber); the endpoint comes from Settings.aws_endpoint_url, passed in by the caller.
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING, Any, Literal, TypedDict, Unpack, overload
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import boto3.session
    from botocore.credentials import Credentials
    from mypy_boto3_apigatewaymanagementapi import ApiGatewayManagementApiClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient


class ClientOptions(TypedDict, total=False):
    endpoint_url: str | None  # None: the service's real endpoint
    region: str | None  # None: the environment's region (AWS_REGION on Lambda)
    connect_timeout: float
    read_timeout: float
    max_attempts: int  # first try included (botocore's "standard" retry mode)
    max_pool: int  # HTTP connections kept per client (botocore's default is 10)
    validate: bool  # botocore's client-side parameter validation


# Someone waits on the answer (an HTTP request, a WebSocket event): fail fast.
INTERACTIVE: ClientOptions = {"connect_timeout": 2.0, "read_timeout": 3.0, "max_attempts": 3}
# The worker: nobody waits on it and its function has 60 s, so ride out a slow moment.
BACKGROUND: ClientOptions = {"connect_timeout": 3.0, "read_timeout": 10.0, "max_attempts": 4}

_DEFAULTS: ClientOptions = {
    "endpoint_url": None,
    "region": None,
    "max_pool": 10,
    "validate": True,
    **INTERACTIVE,
}
_clients: dict[tuple[Any, ...], Any] = {}
_session: boto3.session.Session | None = None
_lock = threading.RLock()  # aws_client builds through aws_session under it
_REGION_LABEL = re.compile(r"[a-z]{2}(?:-[a-z]+)+-[0-9]+")


@overload
def aws_client(service: Literal["sqs"], **options: Unpack[ClientOptions]) -> SQSClient: ...
@overload
def aws_client(
    service: Literal["dynamodb"], **options: Unpack[ClientOptions]
) -> DynamoDBClient: ...
@overload
def aws_client(service: Literal["s3"], **options: Unpack[ClientOptions]) -> S3Client: ...
@overload
def aws_client(
    service: Literal["apigatewaymanagementapi"], **options: Unpack[ClientOptions]
) -> ApiGatewayManagementApiClient: ...


def aws_client(service: str, **options: Unpack[ClientOptions]) -> Any:
    """The client for `service` with these options: built once, then shared."""
    settings: ClientOptions = {**_DEFAULTS, **options}
    key = (service, *sorted(settings.items()))
    with _lock:  # boto3 sessions are not thread-safe: build one client at a time
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = _build(service, settings)
        return client


def aws_session() -> boto3.session.Session:
    """The session every client here comes from: credentials (refreshed as they expire)
    and region resolved once, from the environment (the function's role on Lambda)."""
    global _session  # noqa: PLW0603 - one session per process, like boto3's default
    with _lock:
        if _session is None:
            import boto3

            _session = boto3.session.Session()
        return _session


def aws_identity() -> tuple[Credentials | None, str | None]:
    """The session's credentials (refreshable) and region, for code that signs requests
    itself."""
    with _lock:
        session = aws_session()
        return session.get_credentials(), session.region_name


def _build(service: str, options: ClientOptions) -> Any:
    from botocore.config import Config

    config = Config(
        connect_timeout=options["connect_timeout"],
        read_timeout=options["read_timeout"],
        retries={"mode": "standard", "total_max_attempts": options["max_attempts"]},
        max_pool_connections=options["max_pool"],
        parameter_validation=options["validate"],
        # Keep-alive probes on pooled connections, which sit idle between invocations:
        # a peer that silently went away is found by the kernel, not by a hung call.
        tcp_keepalive=True,
    )
    return aws_session().client(
        service,  # type: ignore[call-overload]
        endpoint_url=options["endpoint_url"] or None,
        region_name=options["region"],
        config=config,
    )


def drop_connections() -> None:
    """Close the pooled HTTP connections of every client built here. The clients stay
    usable and connect again on their next call (before a SnapStart snapshot: a socket
    must not be shared by every environment restored from it)."""
    with _lock:
        for client in _clients.values():
            client.close()


def clear_clients() -> None:
    """Forget every cached client and the session (tests that switch regions, endpoints
    or credentials)."""
    global _session  # noqa: PLW0603
    with _lock:
        _clients.clear()
        _session = None


def region_from_url(url: str) -> str | None:
    """The region an AWS endpoint URL names (`sqs.{region}.amazonaws.com/...`,
    `{api}.execute-api.{region}.amazonaws.com/{stage}`); None for any other host (moto,
    LocalStack), where the environment's region applies."""
    host = urlsplit(url).hostname or ""
    if not host.endswith((".amazonaws.com", ".amazonaws.com.cn")):
        return None
    return next((label for label in host.split(".") if _REGION_LABEL.fullmatch(label)), None)
