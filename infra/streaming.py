"""Server-sent events: the same app under uvicorn, fronted by Lambda Web Adapter, behind a
Function URL in RESPONSE_STREAM mode (Mangum buffers whole responses, so it cannot stream).

Auth of the URL: `none` by default. Browsers' EventSource cannot sign requests with SigV4,
the routes it serves are the same public routes as the HTTP API, and the app's own
dependencies still apply. `-c stream_auth=iam` makes it AWS_IAM for callers that sign
(a backend, or CloudFront with origin access control in front).
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.config import StreamAuth
from infra.functions import AppFunction

# Lambda Web Adapter's public layer (publisher account 753240598075, commercial regions);
# version 30 is adapter 1.1.0 (the adapter's README pairs the two; 28 was 1.0.1). China
# and GovCloud publish it under other accounts.
WEB_ADAPTER_ACCOUNT = "753240598075"
WEB_ADAPTER_LAYER = "LambdaAdapterLayerArm64"
WEB_ADAPTER_VERSION = 30
PORT = "8080"
# Served by handler.app.create_stream_app. Only a 2xx counts as ready: the adapter's
# default (100-499) would take a 404 from a wrong path for a healthy app.
READINESS_PATH = "/health"
READY_STATUS = "200-299"
# The Lambda "handler" is the script the adapter's /opt/bootstrap wrapper executes.
BOOTSTRAP = "handler/run_stream.sh"

_AUTH = {"none": lambda_.FunctionUrlAuthType.NONE, "iam": lambda_.FunctionUrlAuthType.AWS_IAM}


class Streaming(Construct):
    """Outside the VPC, without Redis or the task queue: it runs `create_stream_app`, the
    streaming routes only; everything else is served by the HTTP API."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        code: lambda_.Code,
        environment: Mapping[str, str],
        auth: StreamAuth,
    ) -> None:
        super().__init__(scope, id)
        layer = lambda_.LayerVersion.from_layer_version_arn(
            self, "WebAdapter", self.web_adapter_layer_arn()
        )
        adapter_environment = {
            # Owned by Lambda Web Adapter, not by the app's Settings.
            "AWS_LAMBDA_EXEC_WRAPPER": "/opt/bootstrap",
            "AWS_LWA_INVOKE_MODE": "response_stream",
            "AWS_LWA_PORT": PORT,
            "AWS_LWA_READINESS_CHECK_PATH": READINESS_PATH,
            "AWS_LWA_READINESS_CHECK_HEALTHY_STATUS": READY_STATUS,
        }
        self.function = AppFunction(
            self,
            "Handler",
            code=code,
            handler=BOOTSTRAP,
            description="FastAPI app under uvicorn, streamed by Lambda Web Adapter",
            environment={**environment, "PORT": PORT, **adapter_environment},
            memory_size=1024,
            timeout=Duration.minutes(5),
            layers=[layer],
        )
        self.function_url = self.function.function.add_function_url(
            auth_type=_AUTH[auth], invoke_mode=lambda_.InvokeMode.RESPONSE_STREAM
        )

    def web_adapter_layer_arn(self) -> str:
        return Stack.of(self).format_arn(
            service="lambda",
            account=WEB_ADAPTER_ACCOUNT,
            resource="layer",
            resource_name=f"{WEB_ADAPTER_LAYER}:{WEB_ADAPTER_VERSION}",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )

    @property
    def url(self) -> str:
        return self.function_url.url
