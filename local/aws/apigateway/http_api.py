"""The stack's API Gateway HTTP API on a laptop: `$default` stage, one `$default` route, a
Lambda proxy integration with payload format 2.0 (`http_api_events.py`).

The gateway's own answers, each with the `apigw-requestid` header API Gateway adds:

| case                                                   | answer                            |
|--------------------------------------------------------|-----------------------------------|
| request body over 10 MB (read in a bounded stream)     | 413 Request Entity Too Large      |
| event over Lambda's 6 MB invocation payload            | 413 Request Entity Too Large      |
| function error, crash, init failure, its own timeout   | 500 Internal Server Error         |
| throttled (Lambda refused the invocation)              | 500 Internal Server Error         |
| answer over Lambda's 6 MB, or not a valid 2.0 answer   | 500 Internal Server Error         |
| no answer within the integration timeout (30 s)        | 503 Service Unavailable           |
| body not complete within 30 s (ours: a bound on waits) | 408 Request Timeout               |

Sources: HTTP API quotas (10 MB payload, 30 s integration timeout); "Handling Lambda
errors with an API Gateway API" (an invocation Lambda rejects and a function error both
become internal errors); a function timeout shorter than the integration timeout is a
function error, 500 on an HTTP API (denoland/deno_registry2#87); the integration timeout
answers 503 `{"message":"Service Unavailable"}` with `apigw-requestid` (cortexlabs/cortex
#1225, serverless/serverless#11222). An answer over 6 MB cannot be posted by the runtime
("Exceeded maximum allowed payload size (6291556 bytes)", anomalyco/console#63): a
function error.
Inferred, not observed on an HTTP API: both 413s. A REST API answers 413 to a body over
10 MB and to an event Lambda refuses as too large (koki-develop/lgtm-generator#10); the
message here follows the HTTP API's other answers, the status's reason phrase.

No library: nothing in Python emulates API Gateway (SAM CLI needs Docker); this is one
route and a handful of answers on plain ASGI, served by uvicorn.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from starlette.types import Receive, Scope, Send

from local.aws import topology
from local.aws.apigateway.asgi import (
    ClientGone,
    client_ip,
    first_header,
    header_items,
    read_body,
    send_bytes,
    serve_lifespan,
    server_port,
)
from local.aws.apigateway.http_api_events import (
    Answer,
    HttpRequest,
    MalformedAnswer,
    function_answer,
    http_api_event,
)
from local.aws.apigateway.ids import new_gateway_id, now_ms
from local.aws.apigateway.integration import IntegrationCalls
from local.aws.lambda_.invoke import Failure, Invocation, Invoker

logger = logging.getLogger(__name__)


def gateway_answer(status: int, message: str) -> Answer:
    """An answer of the gateway's own: `{"message": ...}`, compact, as API Gateway writes."""
    body = json.dumps({"message": message}, separators=(",", ":")).encode()
    return Answer(status, [("content-type", "application/json")], body)


TOO_LARGE = gateway_answer(413, "Request Entity Too Large")
INTERNAL_ERROR = gateway_answer(500, "Internal Server Error")
UNAVAILABLE = gateway_answer(503, "Service Unavailable")
# A client that stops sending its body mid-way: the read is given up after this long.
BODY_READ_TIMEOUT = 30.0


class HttpApi:
    """An ASGI app: every request -> one invocation of `function` -> its answer."""

    def __init__(
        self,
        function: Invoker,
        *,
        api_id: str,
        account_id: str,
        integration_timeout: float,
        max_request_bytes: int,
        max_payload_bytes: int,
    ) -> None:
        self.function = function
        self.api_id = api_id
        self.account_id = account_id
        self.max_request_bytes = max_request_bytes
        self.max_payload_bytes = max_payload_bytes
        self.calls = IntegrationCalls(function, integration_timeout)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await serve_lifespan(receive, send, self.calls.close)
        elif scope["type"] == "http":
            await self._request(scope, receive, send)
        elif scope["type"] == "websocket":
            # An HTTP API has no WebSocket routes: refuse the upgrade.
            await receive()
            await send({"type": "websocket.close", "code": 1008})

    async def _request(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = new_gateway_id()
        headers = header_items(scope)
        answer = await self._answer(scope, receive, headers, request_id)
        if answer is not None:
            answer_headers = [*answer.headers, ("apigw-requestid", request_id)]
            await send_bytes(send, answer.status, answer.body, answer_headers)

    async def _answer(
        self, scope: Scope, receive: Receive, headers: list[tuple[str, str]], request_id: str
    ) -> Answer | None:
        """The answer to the client; None when the client left first."""
        body = await self._body(receive, headers)
        if not isinstance(body, bytes):
            return body
        event = self._event(scope, headers, body, request_id)
        if len(json.dumps(event)) > self.max_payload_bytes:
            logger.info("%s: event over Lambda's payload limit, not invoked", self.function.name)
            return TOO_LARGE
        try:
            invocation = await self.calls.invoke(event)
        except Exception:
            logger.exception("%s: the invoker failed", self.function.name)
            return INTERNAL_ERROR
        if invocation is None:
            logger.warning("%s: integration timeout, answered 503", self.function.name)
            return UNAVAILABLE
        return self._mapped(invocation)

    async def _body(
        self, receive: Receive, headers: list[tuple[str, str]]
    ) -> bytes | Answer | None:
        """The request body, or the answer refusing it; None when the client left."""
        declared = first_header(headers, "content-length")
        if declared and declared.isdigit() and int(declared) > self.max_request_bytes:
            return TOO_LARGE  # refused before reading a byte, as a 100-continue client hopes
        try:
            async with asyncio.timeout(BODY_READ_TIMEOUT):
                body = await read_body(receive, self.max_request_bytes)
        except ClientGone:
            return None
        except TimeoutError:
            return gateway_answer(408, "Request Timeout")
        return TOO_LARGE if body is None else body

    def _mapped(self, invocation: Invocation) -> Answer:
        if invocation.failure is not None:
            level = logging.INFO if invocation.failure is Failure.THROTTLED else logging.WARNING
            logger.log(
                level,
                "%s: %s (%s), answered 500",
                self.function.name,
                invocation.failure.value,
                invocation.detail,
            )
            return INTERNAL_ERROR
        if len(json.dumps(invocation.payload)) > self.max_payload_bytes:
            logger.warning("%s: answer over Lambda's 6 MB, answered 500", self.function.name)
            return INTERNAL_ERROR
        try:
            return function_answer(invocation.payload)
        except MalformedAnswer as exc:
            logger.warning("%s: malformed answer (%s), answered 500", self.function.name, exc)
            return INTERNAL_ERROR

    def _event(
        self, scope: Scope, headers: list[tuple[str, str]], body: bytes, request_id: str
    ) -> dict[str, Any]:
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
        request = HttpRequest(
            method=scope["method"],
            raw_path=raw_path.decode("latin-1"),
            query_string=scope["query_string"].decode("latin-1"),
            headers=headers,
            body=body,
            source_ip=client_ip(scope),
            protocol=f"HTTP/{scope.get('http_version', '1.1')}",
            scheme=scope.get("scheme", "http"),
            port=server_port(scope),
        )
        return http_api_event(
            request,
            api_id=self.api_id,
            account_id=self.account_id,
            request_id=request_id,
            epoch_ms=now_ms(),
        )


def http_api_app(
    function: Invoker,
    *,
    api_id: str = "localhttp0",
    account_id: str = topology.ACCOUNT,
    integration_timeout: float = topology.HTTP_API_INTEGRATION_TIMEOUT_SECONDS,
    max_request_bytes: int = topology.HTTP_API_MAX_REQUEST_BYTES,
    max_payload_bytes: int = topology.LAMBDA_MAX_RESPONSE_BYTES,
) -> HttpApi:
    """The HTTP API in front of `function`, an ASGI app for uvicorn. `max_payload_bytes` is
    Lambda's synchronous invocation limit, for the event and for the answer alike."""
    return HttpApi(
        function,
        api_id=api_id,
        account_id=account_id,
        integration_timeout=integration_timeout,
        max_request_bytes=max_request_bytes,
        max_payload_bytes=max_payload_bytes,
    )
