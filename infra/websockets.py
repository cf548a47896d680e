"""WebSocket API ($connect/$disconnect/$default -> `handler.lambda_ws.handler`), its stage
named after the deployment stage (`dev`, `prod`), the connections table (partition key
`connectionId`, TTL on `ttl`) and the GraphQL subscriptions table (partition key
`connectionId`, sort key `sk`, index `byTopic` on `topic`, TTL on `ttl`)."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration, Stack
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.functions import AppFunction
from infra.nag import acknowledge
from infra.tables import keyed_ttl_table, ttl_table

ROUTES = ("$connect", "$disconnect", "$default")
THROTTLE = apigwv2.ThrottleSettings(rate_limit=500, burst_limit=1000)
# Exactly what handler.platform.realtime.registries.dynamodb calls (scan through its paginator).
CONNECTION_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:Scan",
)
# What handler.platform.graphql_ws.dynamodb_store calls: the WebSocket function keeps
# sessions and subscriptions; the worker reads them by topic and drops gone connections.
SUBSCRIPTION_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:Query",
    "dynamodb:BatchWriteItem",
)
PUBLISH_ACTIONS = ("dynamodb:Query", "dynamodb:BatchWriteItem")
TOPIC_INDEX = ("byTopic", "topic")


class WebSockets(Construct):
    """The function runs outside the VPC: it must reach the public @connections API."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        code: lambda_.Code,
        environment: Mapping[str, str],
        stage_name: str,
    ) -> None:
        super().__init__(scope, id)
        self.connections_table = ttl_table(
            self, "ConnectionsTable", partition_key="connectionId", ttl_attribute="ttl"
        )
        self.subscriptions_table = keyed_ttl_table(
            self,
            "SubscriptionsTable",
            partition_key="connectionId",
            sort_key="sk",
            ttl_attribute="ttl",
            index=TOPIC_INDEX,
        )
        self.function = AppFunction(
            self,
            "Handler",
            code=code,
            handler="handler.lambda_ws.handler",
            description="WebSocket $connect, $disconnect and messages",
            environment=environment,
            memory_size=512,
            # API Gateway waits at most 29 s for a WebSocket integration.
            timeout=Duration.seconds(29),
        )
        self.api = apigwv2.WebSocketApi(self, "Api", description="Chat over WebSockets")
        for route in ROUTES:
            # One integration per route: a shared one grants invoke to the first route only.
            integration = integrations.WebSocketLambdaIntegration(
                f"Integration{route.strip('$').title()}", self.function.function
            )
            self.api.add_route(route, integration=integration)
        self.stage = apigwv2.WebSocketStage(
            self,
            "Stage",
            web_socket_api=self.api,
            stage_name=stage_name,
            auto_deploy=True,
            throttle=THROTTLE,
        )
        self._acknowledge()

    @property
    def callback_url(self) -> str:
        """`https://{api}.execute-api.{region}.amazonaws.com/{stage}`: the @connections endpoint."""
        return self.stage.callback_url

    @property
    def url(self) -> str:
        return self.stage.url

    def grant_send(self, sender: AppFunction) -> None:
        """Table access and @connections (post, and delete for gone clients) on this stage."""
        self.connections_table.grant(sender.function, *CONNECTION_ACTIONS)
        self.stage.grant_management_api_access(sender.function)
        stack = Stack.of(self)
        api_id = stack.resolve(stack.get_logical_id(self.api.node.default_child))  # type: ignore[arg-type]
        acknowledge(
            sender.role,
            "IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>"
            f":<{api_id}>/{self.stage.stage_name}/*/@connections/*]",
            "ManageConnections on this API's one stage only: connection ids are minted by API"
            " Gateway at run time, and senders both post to and delete connections (two"
            " methods), so the ARN cannot name them in advance.",
        )

    def grant_subscriptions(self, function: AppFunction, actions: tuple[str, ...]) -> None:
        """The subscriptions table and its topic index: `actions` and its name."""
        table = self.subscriptions_table
        function.function.add_environment("SUBSCRIPTIONS_TABLE", table.table_name)
        table.grant(function.function, *actions)
        stack = Stack.of(self)
        table_id = stack.resolve(stack.get_logical_id(table.node.default_child))  # type: ignore[arg-type]
        acknowledge(
            function.role,
            f"IAM5[Resource::<{table_id}.Arn>/index/*]",
            "The subscriptions table's own indexes (one: byTopic, which a publish queries);"
            " CDK grants a table's indexes as index/*.",
        )

    def _acknowledge(self) -> None:
        acknowledge(
            self.stage,
            "APIG1",
            "WebSocket access logs need the account-wide API Gateway CloudWatch role, a"
            " per-account singleton this stack must not overwrite. Every $connect, $default and"
            " $disconnect event is logged by the handler function with its connection id; turn"
            " access logs on once that account role exists.",
        )
        acknowledge(
            self.api,
            "APIG4",
            "Authorization happens in the app: $connect verifies the bearer JWT (?token= or a"
            " bearer.<token> subprotocol) against the Cognito user pool's JWKS and refuses the"
            " connection with 401 without one; messages ride on that verified connection. The"
            " same check runs on local sockets, where no API Gateway authorizer exists.",
        )
