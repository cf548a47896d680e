"""The production @connections sender: botocore's SigV4 signer and one urllib3 pool.

boto3's `post_to_connection` spends ~1 ms of Python per post (parameter handling, event
hooks, endpoint rules, response parsing) under the GIL, which caps a broadcast near
1,000 posts per second whatever the concurrency. This sender makes the same request
(`POST {WS_CALLBACK_URL}/@connections/{id}`, the text as body, signed for
`execute-api` with the same signer, header set and credentials) for about half the CPU.
`ManagementApiSender` (boto3, in tests/support: no asset ships it) stays the reference:
tests check both send the same request.

Each signed request is first offered to botocore's `before-send` event, as botocore's own
endpoint does before it opens a connection: a handler that answers (moto's `mock_aws`, a
user's stub) takes the request and no network is used, so broadcasts stay testable
in-process with moto. With no such handler the event costs a few microseconds.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Protocol, cast
from urllib.parse import quote, urlsplit

import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSPreparedRequest, AWSRequest
from botocore.exceptions import BotoCoreError, NoCredentialsError

from handler.platform.aws.clients import aws_identity, aws_session, region_from_url
from handler.platform.realtime.ports import Sender
from handler.platform.realtime.types import ConnectionGone, SendFailed

if TYPE_CHECKING:
    from botocore.credentials import Credentials, ReadOnlyCredentials

# Throttling and server errors: API Gateway did not take the message; worth one more try.
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class EventHooks(Protocol):
    """botocore's event emitter, as far as this sender uses it (its stubs omit the method)."""

    def emit_until_response(self, event_name: str, **kwargs: Any) -> tuple[Any, Any]: ...


class SignedHttpSender(Sender):
    """Posts to `endpoint_url` (WS_CALLBACK_URL). 410 becomes `ConnectionGone`; 429 and 5xx
    are tried `attempts` times in all, then `SendFailed`, as is any other status or a
    network error. A read timeout is not retried: the post may have been delivered.

    `credentials`: botocore credentials (refreshable ones are refreshed as they expire);
    by default the boto3 session's (the function's role on Lambda), read on first send.
    """

    def __init__(
        self,
        endpoint_url: str,
        *,
        region_name: str | None = None,
        credentials: Credentials | None = None,
        concurrency: int = 64,
        timeout: float = 5.0,
        attempts: int = 2,
    ) -> None:
        if not endpoint_url:
            raise ValueError("the @connections sender needs WS_CALLBACK_URL")
        self.endpoint_url = endpoint_url.rstrip("/")
        self.region_name = region_name or region_from_url(endpoint_url)
        self.attempts = attempts
        self._credentials = credentials
        self._events: EventHooks | None = None
        self._lock = threading.Lock()
        self.http = urllib3.PoolManager(
            num_pools=1,  # one host: WS_CALLBACK_URL
            maxsize=concurrency,
            timeout=urllib3.Timeout(connect=min(2.0, timeout), read=timeout),
            retries=False,
            ca_certs=_ca_bundle(),
        )
        # The one host's pool, looked up once: PoolManager.request would parse the URL and
        # find the pool again on every post (~20 % of this sender's CPU).
        self._host = self.http.connection_from_url(self.endpoint_url)
        self._path = urlsplit(self.endpoint_url).path
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="ws-send")

    async def send(self, connection_id: str, text: str) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._pool, self._post, connection_id, text)

    async def hang_up(self, connection_id: str) -> None:
        """`DELETE @connections/{id}`: API Gateway closes the socket (a 410 is fine)."""
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._pool, self._post, connection_id, None)
        except ConnectionGone:
            return

    def _post(self, connection_id: str, text: str | None) -> None:
        """POST `text` to the connection; None: DELETE it."""
        resource = f"/@connections/{quote(connection_id, safe='')}"
        path = self._path + resource
        method = "POST" if text is not None else "DELETE"
        try:
            body = text.encode() if text is not None else b""
            request = self._signed_request(self.endpoint_url + resource, body, method)
        except (UnicodeEncodeError, BotoCoreError) as exc:  # a lone surrogate; no credentials
            raise SendFailed(connection_id, type(exc).__name__) from None
        headers = dict(request.headers.items())
        for attempt in range(1, self.attempts + 1):
            try:
                status, error = self._answer_of(request, method) or self._exchange(
                    method, path, body, headers
                )
            except urllib3.exceptions.ReadTimeoutError:
                raise SendFailed(connection_id, "ReadTimeoutError") from None
            except urllib3.exceptions.HTTPError as exc:
                # Refused, reset, or a pooled connection the server had closed: not sent.
                if attempt < self.attempts:
                    _pause(attempt)
                    continue
                raise SendFailed(connection_id, type(exc).__name__) from None
            if status < 300:
                return
            if status == 410:
                raise ConnectionGone(connection_id)
            if status in _RETRY_STATUSES and attempt < self.attempts:
                _pause(attempt)
                continue
            raise SendFailed(connection_id, (error or f"HTTP {status}").partition(":")[0])

    def _answer_of(self, request: AWSPreparedRequest, method: str) -> tuple[int, str | None] | None:
        """The answer of a `before-send` handler (moto, a stub), or None: send it."""
        assert self._events is not None  # noqa: S101 - set with the signing identity
        operation = "PostToConnection" if method == "POST" else "DeleteConnection"
        _, response = self._events.emit_until_response(
            f"before-send.apigatewaymanagementapi.{operation}", request=request
        )
        if response is None:
            return None
        return response.status_code, response.headers.get("x-amzn-ErrorType")

    def _exchange(
        self, method: str, path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, str | None]:
        response = self._host.urlopen(
            method, path, body=body, headers=headers, retries=False, redirect=False
        )
        return response.status, response.headers.get("x-amzn-ErrorType")

    def _signed_request(self, url: str, body: bytes, method: str = "POST") -> AWSPreparedRequest:
        credentials, region = self._signing_identity()
        request = AWSRequest(method=method, url=url, data=body)
        SigV4Auth(credentials, "execute-api", region).add_auth(request)
        return request.prepare()

    def _signing_identity(self) -> tuple[ReadOnlyCredentials, str]:
        credentials, region = self._credentials, self.region_name
        if credentials is None or region is None or self._events is None:
            with self._lock:
                # The session's hooks: botocore's built-in handlers, moto's among them.
                self._events = self._events or cast(EventHooks, aws_session().events)
                if self._credentials is None or self.region_name is None:
                    session_credentials, session_region = aws_identity()
                    self._credentials = self._credentials or session_credentials
                    self.region_name = self.region_name or session_region or "us-east-1"
                credentials, region = self._credentials, self.region_name
        if credentials is None or region is None:
            raise NoCredentialsError
        # Frozen: access key, secret and token from one refresh, never a mix of two.
        return credentials.get_frozen_credentials(), region

    async def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.http.clear()


def _pause(attempt: int) -> None:
    # Full jitter: many senders throttled at once should not retry in step.
    time.sleep(random.uniform(0, 0.05 * 2**attempt))  # noqa: S311 - jitter, not security


def _ca_bundle() -> str:
    """The CA bundle botocore verifies against (certifi's, or its own), so both senders
    trust exactly the same roots."""
    from botocore.httpsession import get_cert_path

    return str(get_cert_path(True))
