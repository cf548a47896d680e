"""HTTP API (default route -> the `live` alias of `handler.lambda_http.handler`, in the VPC,
with SnapStart), access logs, throttling."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import jsii
from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.functions import LOG_RETENTION, AppFunction
from infra.nag import acknowledge

# Account-wide defaults are 10,000 rps / 5,000 burst; a stage default keeps one API from
# taking all of it. Raise per stage when the traffic is real.
THROTTLE = apigwv2.ThrottleSettings(rate_limit=1000, burst_limit=2000)
ALIAS = "live"
ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "time": "$context.requestTime",
    "ip": "$context.identity.sourceIp",
    "userAgent": "$context.identity.userAgent",
    "method": "$context.httpMethod",
    "path": "$context.path",
    "protocol": "$context.protocol",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "latency": "$context.responseLatency",
    "integrationLatency": "$context.integrationLatency",
    "integrationError": "$context.integrationErrorMessage",
}


class Http(Construct):
    """The function sits in the VPC (it needs Redis); its security group is an attribute so
    the stack can open the cache and the SQS endpoint to it."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        code: lambda_.Code,
        environment: Mapping[str, str],
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        layers: Sequence[lambda_.ILayerVersion] = (),
        reserved_concurrency: int | None = None,
    ) -> None:
        super().__init__(scope, id)
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description="HTTP function: reaches the cache and the SQS endpoint",
        )
        self.function = AppFunction(
            self,
            "Handler",
            code=code,
            handler="handler.lambda_http.handler",
            description="FastAPI app behind the HTTP API",
            environment=environment,
            memory_size=1024,
            # The HTTP API gives up on an integration after 30 s.
            timeout=Duration.seconds(29),
            vpc=vpc,
            vpc_subnets=subnets,
            security_groups=[self.security_group],
            layers=layers,
            snap_start=True,
            # Capacity the worker or a busy neighbour cannot take (infra.stages).
            reserved_concurrency=reserved_concurrency,
        )
        # SnapStart applies to published versions only: the API invokes the `live` alias,
        # which each deploy moves to the version it publishes (and snapshots).
        self.alias = self.function.function.add_alias(ALIAS)
        self.api = apigwv2.HttpApi(
            self,
            "Api",
            description="FastAPI over API Gateway HTTP API",
            create_default_stage=False,
            default_integration=integrations.HttpLambdaIntegration("Integration", self.alias),
        )
        self.access_logs = logs.LogGroup(
            self, "AccessLogs", retention=LOG_RETENTION, removal_policy=RemovalPolicy.DESTROY
        )
        self.stage = apigwv2.HttpStage(
            self,
            "Stage",
            http_api=self.api,
            stage_name="$default",
            auto_deploy=True,
            throttle=THROTTLE,
            access_log_settings=_AccessLogs(self.access_logs),
        )
        acknowledge(
            self.api,
            "APIG4",
            "Authorization happens in the app: each bearer JWT is verified against the Cognito"
            " user pool's JWKS (issuer, client id, expiry, signature) and FastAPI routes declare"
            " who may call them; reads are public by design, and the same checks run locally"
            " and in the emulator, where no API Gateway authorizer exists.",
        )

    @property
    def url(self) -> str:
        return self.stage.url


@jsii.implements(apigwv2.IAccessLogSettings)
class _AccessLogs:
    """JSON lines with HTTP API context variables (REST-only ones would fail the deploy)."""

    def __init__(self, log_group: logs.ILogGroup) -> None:
        self._destination = apigwv2.LogGroupLogDestination(log_group)

    @property
    def destination(self) -> apigwv2.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigw.AccessLogFormat:
        return apigw.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FIELDS, separators=(",", ":")))
