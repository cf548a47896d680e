"""Run an ASGI app on Lambda for HTTP events (API Gateway REST v1 and HTTP API v2, ALB,
Function URL): Mangum translates the event (`event_sources`), `LambdaHttpAdapter` owns the
lifespan (entered once per execution environment, `lifespan`), and one buffered
request/response cycle runs the app (`cycle`)."""

from __future__ import annotations

from handler.platform.lambda_http.adapter import LambdaHttpAdapter
from handler.platform.lambda_http.lifespan import LifespanError, LifespanRunner

__all__ = ["LambdaHttpAdapter", "LifespanError", "LifespanRunner"]
