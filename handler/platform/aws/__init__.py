"""AWS clients: one cached factory with explicit timeouts and retries (`aws_client`), their
connections closed at once (`drop_connections`), and the region an endpoint URL names
(`region_from_url`)."""

from __future__ import annotations

from handler.platform.aws.clients import (
    BACKGROUND,
    INTERACTIVE,
    ClientOptions,
    aws_client,
    aws_identity,
    aws_session,
    clear_clients,
    drop_connections,
    region_from_url,
)
from handler.platform.aws.dynamodb_table import DynamoDBTable

__all__ = [
    "BACKGROUND",
    "INTERACTIVE",
    "ClientOptions",
    "DynamoDBTable",
    "aws_client",
    "aws_identity",
    "aws_session",
    "clear_clients",
    "drop_connections",
    "region_from_url",
]
