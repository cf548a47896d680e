"""Sends through API Gateway's @connections management API (`apigatewaymanagementapi`).

boto3 is blocking, so posts run on a thread pool as large as the wanted concurrency, and
the client's HTTP pool matches it (botocore keeps 10 connections by default, which would
cap any larger pool). Retries are few: a broadcast should not stall on one connection.

The hub built from settings uses `SignedHttpSender` (the same signed request for about
half the CPU); this boto3 sender is the reference it is tested against and benched with.
It lives with the tests so that no Lambda asset ships it.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from handler.platform.aws.clients import aws_client, region_from_url
from handler.platform.realtime.ports import Sender
from handler.platform.realtime.types import ConnectionGone, SendFailed

if TYPE_CHECKING:
    from mypy_boto3_apigatewaymanagementapi import ApiGatewayManagementApiClient


class ManagementApiSender(Sender):
    """Posts to `endpoint_url` (WS_CALLBACK_URL: `https://{api}.execute-api.{region}.
    amazonaws.com/{stage}`). GoneException (410) becomes `ConnectionGone`; any other error
    `SendFailed`."""

    def __init__(
        self,
        endpoint_url: str,
        *,
        client: ApiGatewayManagementApiClient | None = None,
        concurrency: int = 64,
        timeout: float = 5.0,
        region_name: str | None = None,
    ) -> None:
        if not endpoint_url and client is None:
            raise ValueError("the @connections sender needs WS_CALLBACK_URL")
        self.endpoint_url = endpoint_url
        self.concurrency = concurrency
        self.timeout = timeout
        self.region_name = region_name or region_from_url(endpoint_url)
        self._client = client
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="ws-send")

    @property
    def client(self) -> ApiGatewayManagementApiClient:
        if self._client is None:
            self._client = aws_client(
                "apigatewaymanagementapi",
                endpoint_url=self.endpoint_url,
                region=self.region_name,
                connect_timeout=min(2.0, self.timeout),
                read_timeout=self.timeout,
                max_attempts=2,
                max_pool=self.concurrency,
            )
        return self._client

    async def send(self, connection_id: str, text: str) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._pool, self._post, connection_id, text)

    def _post(self, connection_id: str, text: str) -> None:
        try:
            self.client.post_to_connection(ConnectionId=connection_id, Data=text.encode())
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code == "GoneException" or status == 410:
                raise ConnectionGone(connection_id) from None
            raise SendFailed(connection_id, code or str(exc)) from None
        except BotoCoreError as exc:
            raise SendFailed(connection_id, type(exc).__name__) from None

    async def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
