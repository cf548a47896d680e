"""The stack of one stage: constructs per concern, and every grant and network rule between
them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Aspects, Aws, CfnOutput, CfnRule, CfnRuleAssertion, Fn, Stack
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.alarms import Alarms
from infra.assets import FUNCTIONS, unclaimed
from infra.bundling import BundlingError, LockedWheels, PipBundling, lambda_code
from infra.cache import Cache
from infra.config import InfraConfig
from infra.dashboard import Dashboard
from infra.domains import CustomDomain
from infra.functions import RUNTIME
from infra.http import Http
from infra.identity import Identity
from infra.lock import LOCK_FILE, PIP_PLATFORM, PYPROJECT, PYTHON_VERSION, lock_problems
from infra.network import Network
from infra.regions import ALLOWED_REGIONS
from infra.shutdown import graceful_shutdown_layer
from infra.stage_policies import StagePolicies
from infra.streaming import Streaming
from infra.tables import AppTables
from infra.tasks import IDEMPOTENCY_ACTIONS, MAX_MESSAGE_BYTES, Tasks
from infra.users import Users
from infra.websockets import PUBLISH_ACTIONS, SUBSCRIPTION_ACTIONS, WebSockets

SERVICE_NAME = "fastapi-serverless"
# The app's metrics namespace (Settings.metrics_namespace's default): the dashboard reads it.
METRICS_NAMESPACE = SERVICE_NAME
# Every key is a handler.settings.Settings field (tests/infra checks it).
BASE_ENVIRONMENT = {
    "ENVIRONMENT": "production",
    "SERVICE_NAME": SERVICE_NAME,
    "LOG_LEVEL": "INFO",
    "METRICS_NAMESPACE": METRICS_NAMESPACE,
}


def build_code(
    config: InfraConfig, *, pyproject: Path = PYPROJECT, lock_file: Path = LOCK_FILE
) -> dict[str, lambda_.Code]:
    """One asset per function (infra.assets): the part of the platform lock its code
    imports, and handler/. A lock that no longer satisfies pyproject.toml, or a runtime
    dependency no function lists, stops synth here, not at import time on Lambda."""
    problems = lock_problems(pyproject, lock_file)
    if problems:
        raise BundlingError(
            f"{lock_file.name} does not match {pyproject.name} (run `make lock`): "
            + "; ".join(problems)
        )
    missing = unclaimed(pyproject)
    if missing:
        raise BundlingError(
            f"runtime dependencies in no function's asset: {', '.join(missing)} (add each to"
            " the `requirements` of the functions that import it, in infra/assets.py)"
        )
    wheels = LockedWheels(lock_file=lock_file, python_version=PYTHON_VERSION, platform=PIP_PLATFORM)
    return {
        name: lambda_code(
            bundling=PipBundling(asset=asset, wheels=wheels, install=config.bundle == "pip"),
            runtime=RUNTIME,
        )
        for name, asset in FUNCTIONS.items()
    }


class ServerlessStack(Stack):
    def __init__(self, scope: Construct, id: str, *, config: InfraConfig, **kwargs: Any) -> None:
        stage = config.stage_choices
        super().__init__(scope, id, termination_protection=stage.retain_data, **kwargs)
        self.config = config
        Aspects.of(self).add(StagePolicies(stage))
        self._refuse_other_regions()
        code = build_code(config)
        # The stage is the `stage` dimension of every metric the dashboard reads.
        environment = {**BASE_ENVIRONMENT, "STAGE": stage.name}
        self.network = Network(self, "Network", nat=config.nat)
        self.cache = Cache(
            self, "Cache", vpc=self.network.vpc, subnet_ids=self.network.app_subnet_ids
        )
        self.tasks = Tasks(self, "Tasks", code=code["worker"], environment=environment)
        # The app's tables (tables.toml); the users listing's cursor key.
        self.tables = AppTables(self, "Tables")
        self.users = Users(self, "Users")
        self.identity = Identity(self, "Identity", threat_protection=stage.threat_protection)
        self.websockets = WebSockets(
            self,
            "WebSockets",
            code=code["ws"],
            environment=environment,
            stage_name=stage.name,
        )
        self.http = Http(
            self,
            "Http",
            code=code["http"],
            environment=environment,
            vpc=self.network.vpc,
            subnets=self.network.app_subnets,
            # Only this function has a SIGTERM hook to serve: the stream function already
            # gets SIGTERM (Lambda Web Adapter is itself an external extension), and the
            # worker and WebSocket function hold nothing that needs closing.
            layers=[graceful_shutdown_layer(self, "GracefulShutdown")],
            reserved_concurrency=stage.http_reserved_concurrency
            if config.reserved_concurrency
            else None,
        )
        self._domains()
        self.streaming = Streaming(
            self,
            "Streaming",
            code=code["stream"],
            environment=environment,
            auth=config.stream_auth,
            # The pages this stack serves (/chat, /docs) and the ones the operator names.
            cors_origins=[
                self.http.api.api_endpoint,
                *([f"https://{config.domain}"] if config.domain else []),
                *config.stream_origins,
            ],
            reserved_concurrency=stage.stream_reserved_concurrency
            if config.reserved_concurrency
            else None,
        )
        self._wire_http()
        self._wire_senders()
        self._wire_identity()
        self.tables.wire(
            {
                "http": self.http.function.function,
                "worker": self.tasks.worker.function,
                "ws": self.websockets.function.function,
                "stream": self.streaming.function.function,
            }
        )
        self._operations()
        self._outputs()

    def _refuse_other_regions(self) -> None:
        """The stack is environment-agnostic (synth needs no credentials), so the region
        is known only at deploy: CloudFormation checks it before it creates anything.
        Synth refuses a known one earlier (infra.app)."""
        CfnRule(
            self,
            "AllowedRegion",
            assertions=[
                CfnRuleAssertion(
                    assert_=Fn.condition_contains(list(ALLOWED_REGIONS), Aws.REGION),
                    assert_description="This stack deploys only to "
                    + ", ".join(ALLOWED_REGIONS)
                    + " (docs/deploying.md#regions)",
                )
            ],
        )

    def _domains(self) -> None:
        config = self.config
        self.http_domain: CustomDomain | None = None
        self.websocket_domain: CustomDomain | None = None
        if config.domain:
            self.http_domain = CustomDomain(
                self,
                "HttpDomain",
                domain=config.domain,
                certificate_arn=config.certificate_arn,
                api=self.http.api,
                stage=self.http.stage,
            )
        if config.ws_domain:
            self.websocket_domain = CustomDomain(
                self,
                "WebSocketDomain",
                domain=config.ws_domain,
                certificate_arn=config.websocket_certificate_arn,
                api=self.websockets.api,
                stage=self.websockets.stage,
            )

    def _wire_http(self) -> None:
        http = self.http.function.function
        self.cache.allow_from(self.http.security_group)
        self.network.allow_endpoints_from(self.http.security_group)
        http.add_environment("REDIS_URL", self.cache.redis_url)
        http.add_environment("TASK_QUEUE_URL", self.tasks.queue.queue_url)
        http.add_environment("TASK_MAX_MESSAGE_BYTES", str(MAX_MESSAGE_BYTES))
        if self.config.cors_origins:
            # The app answers preflights itself: $default passes OPTIONS through.
            http.add_environment("CORS_ORIGINS", ",".join(self.config.cors_origins))
        # The /chat page served by this function connects to the WebSocket API.
        http.add_environment("CHAT_WEBSOCKET_URL", self.websockets.url)
        self.tasks.queue.grant_send_messages(http)
        # The app's tables reach this function through the VPC's DynamoDB gateway endpoint;
        # each is granted and named to the functions tables.toml lists (AppTables.wire).
        http.add_environment("CURSOR_SECRET", self.users.cursor_secret_value)

    def _wire_senders(self) -> None:
        """The functions that post to @connections: both outside the VPC (a VPC function
        cannot reach a public WebSocket API's management endpoint without NAT)."""
        worker = self.tasks.worker.function
        table = self.websockets.connections_table
        for sender in (self.tasks.worker, self.websockets.function):
            sender.function.add_environment("CONNECTIONS_TABLE", table.table_name)
            sender.function.add_environment("WS_CALLBACK_URL", self.websockets.callback_url)
            self.websockets.grant_send(sender)
        # GraphQL subscriptions: the WebSocket function keeps them, the worker publishes.
        self.websockets.grant_subscriptions(self.websockets.function, SUBSCRIPTION_ACTIONS)
        self.websockets.grant_subscriptions(self.tasks.worker, PUBLISH_ACTIONS)
        worker.add_environment("TASK_DLQ_URL", self.tasks.dead_letter_queue.queue_url)
        worker.add_environment("IDEMPOTENCY_TABLE", self.tasks.idempotency_table.table_name)
        self.tasks.dead_letter_queue.grant_send_messages(worker)
        self.tasks.idempotency_table.grant(worker, *IDEMPOTENCY_ACTIONS)

    def _wire_identity(self) -> None:
        """The functions that verify bearer tokens: HTTP (every route may get one) and
        WebSocket ($connect). The worker and the stream function read none. The keys are
        at the issuer's default `/.well-known/jwks.json` (no AUTH_JWKS_URL)."""
        for function in (self.http.function, self.websockets.function):
            function.function.add_environment("AUTH_ISSUER", self.identity.issuer)
            function.function.add_environment("AUTH_AUDIENCE", self.identity.client_id)

    def _operations(self) -> None:
        """Alarms and the dashboard over every function, queue, API and table."""
        watched: dict[str, Any] = {
            "functions": {
                "http": self.http.function.function,
                "worker": self.tasks.worker.function,
                "ws": self.websockets.function.function,
                "stream": self.streaming.function.function,
            },
            "queue": self.tasks.queue,
            "dead_letter_queue": self.tasks.dead_letter_queue,
            "http_api": self.http.api,
            "websocket_api": self.websockets.api,
            "tables": {
                **self.tables.tables,
                "connections": self.websockets.connections_table,
                "subscriptions": self.websockets.subscriptions_table,
                "idempotency": self.tasks.idempotency_table,
            },
        }
        stage = self.config.stage_choices.name
        self.alarms = Alarms(
            self,
            "Alarms",
            websocket_stage=stage,
            alarm_email=self.config.alarm_email,
            **watched,
        )
        self.dashboard = Dashboard(
            self,
            "Dashboard",
            namespace=METRICS_NAMESPACE,
            service=SERVICE_NAME,
            stage=stage,
            alarms=list(self.alarms.alarms.values()),
            **watched,
        )

    def _outputs(self) -> None:
        CfnOutput(self, "HttpUrl", value=self.http.url, description="HTTP API base URL")
        CfnOutput(self, "WebSocketUrl", value=self.websockets.url, description="wss:// chat URL")
        CfnOutput(
            self,
            "WebSocketCallbackUrl",
            value=self.websockets.callback_url,
            description="@connections management endpoint (WS_CALLBACK_URL)",
        )
        CfnOutput(self, "StreamUrl", value=self.streaming.url, description="SSE Function URL")
        CfnOutput(
            self,
            "ConnectionsTableName",
            value=self.websockets.connections_table.table_name,
            description="WebSocket connections (for operators and the end-to-end tests)",
        )
        for spec in self.tables.declared:
            CfnOutput(
                self,
                spec.output_name,
                value=self.tables.tables[spec.name].table_name,
                description=f"The {spec.name} resource's table (kept on cdk destroy in prod)",
            )
        for name, domain, scheme in (
            ("Http", self.http_domain, "https"),
            ("WebSocket", self.websocket_domain, "wss"),
        ):
            if domain is not None:
                url = f"{scheme}://{domain.domain}" + ("/" if scheme == "https" else "")
                CfnOutput(self, f"{name}DomainUrl", value=url, description="On the custom domain")
                CfnOutput(
                    self,
                    f"{name}DomainTarget",
                    value=domain.target,
                    description="Point the domain's CNAME (or alias) record here",
                )
        CfnOutput(
            self,
            "UserPoolId",
            value=self.identity.user_pool.user_pool_id,
            description="Cognito user pool: create users here (docs/auth.md)",
        )
        CfnOutput(
            self,
            "UserPoolClientId",
            value=self.identity.client_id,
            description="App client to sign in with (no secret; AUTH_AUDIENCE)",
        )
        CfnOutput(self, "AlarmTopicArn", value=self.alarms.topic.topic_arn)
        CfnOutput(self, "DashboardName", value=self.dashboard.dashboard.dashboard_name)
        CfnOutput(self, "TaskQueueName", value=self.tasks.queue.queue_name)
        CfnOutput(self, "TaskDlqName", value=self.tasks.dead_letter_queue.queue_name)
