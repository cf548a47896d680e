"""`DynamoDBTable`: what every DynamoDB adapter here starts with, a table name and its
client, injected or the shared one built on first use with the interactive budget (a
request or a WebSocket event waits on it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handler.platform.aws.clients import INTERACTIVE, ClientOptions, aws_client

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class DynamoDBTable:
    """`client`: injected (tests, Stubber), or built by `aws_client` on first use with
    `endpoint_url` (Settings.aws_endpoint_url) and reused while the environment is warm."""

    def __init__(
        self,
        table_name: str,
        *,
        client: DynamoDBClient | None = None,
        endpoint_url: str | None = None,
    ) -> None:
        if not table_name:
            raise ValueError(f"{type(self).__name__} needs a table name")
        self.table_name = table_name
        self.endpoint_url = endpoint_url
        self._client = client

    @property
    def client(self) -> DynamoDBClient:
        if self._client is None:
            options: ClientOptions = {**INTERACTIVE, "endpoint_url": self.endpoint_url}
            self._client = aws_client("dynamodb", **options)
        return self._client
