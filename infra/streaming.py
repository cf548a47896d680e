"""Server-sent events: the same app under uvicorn, fronted by Lambda Web Adapter, behind a
Function URL in RESPONSE_STREAM mode (Mangum buffers whole responses, so it cannot stream).

Auth of the URL: `none` by default. Browsers' EventSource cannot sign requests with SigV4,
the routes it serves are the same public routes as the HTTP API, and the app's own
dependencies still apply. `-c stream_auth=iam` makes it AWS_IAM for callers that sign
(a backend, or CloudFront with origin access control in front).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.config import StreamAuth
from infra.functions import AppFunction
from infra.regions import WEB_ADAPTER_ACCOUNT, WEB_ADAPTER_LAYER, WEB_ADAPTER_VERSION

PORT = "8080"
# Served by handler.app.create_stream_app. Only a 2xx counts as ready: the adapter's
# default (100-499) would take a 404 from a wrong path for a healthy app.
READINESS_PATH = "/health"
READY_STATUS = "200-299"
# The Lambda "handler" is the script the adapter's /opt/bootstrap wrapper executes.
BOOTSTRAP = "handler/run_stream.sh"

# What an EventSource sends: a GET, and Last-Event-ID when it reconnects.
CORS_METHODS = [lambda_.HttpMethod.GET, lambda_.HttpMethod.HEAD]
CORS_HEADERS = ["authorization", "cache-control", "last-event-id"]
CORS_MAX_AGE = Duration.hours(1)

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
        cors_origins: Sequence[str],
        reserved_concurrency: int | None,
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
            # A Function URL has no throttle of its own: this ceiling bounds what an open
            # URL can cost (each stream holds an environment for up to 5 minutes).
            reserved_concurrency=reserved_concurrency,
        )
        self.function_url = self.function.function.add_function_url(
            auth_type=_AUTH[auth],
            invoke_mode=lambda_.InvokeMode.RESPONSE_STREAM,
            # Browsers run EventSource from the pages of these origins only.
            cors=lambda_.FunctionUrlCorsOptions(
                allowed_origins=list(cors_origins),
                allowed_methods=CORS_METHODS,
                allowed_headers=CORS_HEADERS,
                max_age=CORS_MAX_AGE,
            ),
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
