"""The @connections management API of the emulated WebSocket API:
`POST|GET|DELETE /{stage}/@connections/{connectionId}` on the WebSocket API's own server,
so `WS_CALLBACK_URL` is `http://127.0.0.1:PORT/{stage}` as it is `https://.../{stage}` on AWS.

Each request must be SigV4-signed for `execute-api` with the credentials the emulator gives
the functions (`sigv4.py`); boto3's `apigatewaymanagementapi` client and the project's
`SignedHttpSender` both sign that way. Answers, with the wire shapes botocore's model
(apigatewaymanagementapi 2018-11-29) parses:

| request                 | answer                                                         |
|-------------------------|----------------------------------------------------------------|
| POST (data, <= 128 KB)  | 200; a text frame when the data is UTF-8, else a binary frame  |
| POST over 128 KB        | 413 PayloadTooLargeException                                   |
| GET                     | 200 `connectedAt`, `identity` {sourceIp, userAgent}, `lastActiveAt` |
| DELETE                  | 204; the socket closes 1000 and `$disconnect` follows          |
| unknown or closed id    | 410 GoneException (empty message, as AWS sends it)             |
| client not reading (5 s)| 429 LimitExceededException                                     |
| unsigned / bad signature| 403 with AWS's error type and message                          |

A DeleteConnection shows in `$disconnect` as 1000 "Connection Closed Normally" (the
gateway's log quoted in boto/boto3#3789).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Mapping

from botocore.credentials import Credentials
from starlette.types import Receive, Scope, Send

from local.aws.apigateway.asgi import ClientGone, header_items, read_body, send_bytes, send_json
from local.aws.apigateway.sigv4 import SignedRequest, check_signature
from local.aws.apigateway.websocket_connection import Connection, Gone, SlowClient

logger = logging.getLogger(__name__)

DELETED = (1000, "Connection Closed Normally")
# A request that stops sending its body mid-way is given up after this long.
BODY_READ_TIMEOUT = 10.0


class ManagementApi:
    """Answers @connections requests for the connections in `connections`."""

    def __init__(
        self,
        connections: Mapping[str, Connection],
        *,
        credentials: Credentials,
        region: str,
        max_message_bytes: int,
    ) -> None:
        self.connections = connections
        self.credentials = credentials
        self.region = region
        self.max_message_bytes = max_message_bytes

    async def __call__(
        self, scope: Scope, receive: Receive, send: Send, connection_id: str
    ) -> None:
        headers = header_items(scope)
        answer_headers = [("x-amzn-RequestId", str(uuid.uuid4()))]
        try:
            async with asyncio.timeout(BODY_READ_TIMEOUT):
                body = await read_body(receive, self.max_message_bytes)
        except (ClientGone, TimeoutError):
            return
        if body is None:
            error = ("PayloadTooLargeException", "Message too long")
            await _error(send, 413, *error, answer_headers)
            return
        request = SignedRequest(
            method=scope["method"],
            raw_path=(scope.get("raw_path") or scope["path"].encode()).decode("latin-1"),
            query_string=scope["query_string"].decode("latin-1"),
            headers=dict(headers),
            body=body,
        )
        refusal = check_signature(
            request, self.credentials, region=self.region, service="execute-api"
        )
        if refusal is not None:
            logger.info("@connections %s refused: %s", scope["method"], refusal.message)
            await _error(send, 403, refusal.error_type, refusal.message, answer_headers)
            return
        await self._operation(send, scope["method"], connection_id, body, answer_headers)

    async def _operation(
        self,
        send: Send,
        method: str,
        connection_id: str,
        body: bytes,
        answer_headers: list[tuple[str, str]],
    ) -> None:
        connection = self.connections.get(connection_id)
        if method not in ("POST", "GET", "DELETE"):
            await _error(send, 404, "NotFoundException", "Not Found", answer_headers)
            return
        if connection is None or connection.closing is not None:
            await _error(send, 410, "GoneException", None, answer_headers)
            return
        try:
            if method == "POST":
                await connection.deliver(body)
                await send_bytes(send, 200, b"", answer_headers)
            elif method == "GET":
                await send_json(send, 200, connection.describe(), answer_headers)
            else:
                await connection.close(*DELETED)
                await send_bytes(send, 204, b"", answer_headers)
        except Gone:
            await _error(send, 410, "GoneException", None, answer_headers)
        except SlowClient:
            message = "The WebSocket client side buffer is full."
            await _error(send, 429, "LimitExceededException", message, answer_headers)


async def _error(
    send: Send,
    status: int,
    error_type: str,
    message: str | None,
    headers: list[tuple[str, str]],
) -> None:
    # GoneException carries no message: boto3 shows AWS's as "... operation: " (empty).
    payload = {} if message is None else {"message": message}
    await send_json(send, status, payload, [*headers, ("x-amzn-ErrorType", error_type)])
