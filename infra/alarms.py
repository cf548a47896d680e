"""Alarms on what the stack can get wrong while nobody looks, all to one SNS topic (with an
email subscription when `-c alarm_email=...` is given). docs/operations.md has a runbook
line for each; the thresholds are `Thresholds` fields, their defaults documented there."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aws_cdk import Duration, Stack
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

GT = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD


@dataclass(frozen=True, kw_only=True)
class Thresholds:
    """An alarm fires when its figure is above its threshold over one period of `period_minutes`."""

    period_minutes: int = 5
    dead_letters: int = 0  # messages on the dead-letter queue
    oldest_task_seconds: int = 300  # age of the oldest message on the task queue
    function_errors: int = 0  # per function
    function_throttles: int = 0  # per function
    http_5xx_percent: float = 1.0  # of the HTTP API's requests
    http_p99_latency_ms: int = 3000  # the HTTP API's p99 latency
    websocket_integration_errors: int = 0  # WebSocket API integration errors
    dynamodb_throttles: int = 0  # read + write throttle events, per table


class Alarms(Construct):
    """`alarms`: name -> alarm; `topic`: where each alarm and its recovery is sent."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        functions: Mapping[str, lambda_.IFunction],
        queue: sqs.IQueue,
        dead_letter_queue: sqs.IQueue,
        http_api: apigwv2.HttpApi,
        websocket_api: apigwv2.IWebSocketApi,
        websocket_stage: str,
        tables: Mapping[str, dynamodb.ITable],
        alarm_email: str = "",
        thresholds: Thresholds | None = None,
    ) -> None:
        super().__init__(scope, id)
        self.thresholds = t = thresholds or Thresholds()
        self.period = period = Duration.minutes(t.period_minutes)
        self.prefix = Stack.of(self).stack_name
        self.topic = sns.Topic(
            self, "Topic", display_name=f"{self.prefix} alarms", enforce_ssl=True
        )
        if alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(alarm_email))
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        self._add(
            "dead-letters",
            dead_letter_queue.metric_approximate_number_of_messages_visible(
                statistic="Maximum", period=period
            ),
            t.dead_letters,
            "Tasks are parked on the dead-letter queue",
        )
        self._add(
            "oldest-task",
            queue.metric_approximate_age_of_oldest_message(statistic="Maximum", period=period),
            t.oldest_task_seconds,
            "The oldest queued task waits longer than the threshold (seconds)",
        )
        for name, function in functions.items():
            self._add(
                f"{name}-errors",
                function.metric_errors(statistic="Sum", period=period),
                t.function_errors,
                f"The {name} function failed invocations",
                runbook="function-errors",
            )
            self._add(
                f"{name}-throttles",
                function.metric_throttles(statistic="Sum", period=period),
                t.function_throttles,
                f"The {name} function was throttled",
                runbook="function-throttles",
            )
        self._http(http_api)
        self._add(
            "websocket-integration-errors",
            cloudwatch.Metric(
                namespace="AWS/ApiGateway",
                metric_name="IntegrationError",
                dimensions_map={"ApiId": websocket_api.api_id, "Stage": websocket_stage},
                statistic="Sum",
                period=period,
            ),
            t.websocket_integration_errors,
            "The WebSocket API could not run its integration (the function failed or timed out)",
        )
        for name, table in tables.items():
            self._add(
                f"{name}-table-throttles",
                dynamodb_throttles(table, period),
                t.dynamodb_throttles,
                f"DynamoDB throttled requests to the {name} table",
                runbook="table-throttles",
            )

    def _http(self, api: apigwv2.HttpApi) -> None:
        t = self.thresholds
        self._add(
            "http-5xx-rate",
            http_5xx_percent(api, self.period),
            t.http_5xx_percent,
            "The HTTP API answered 5xx to more than the threshold's percentage of requests",
        )
        self._add(
            "http-p99-latency",
            api.metric_latency(statistic="p99", period=self.period),
            t.http_p99_latency_ms,
            "The HTTP API's p99 latency is above the threshold (milliseconds)",
        )

    def _add(
        self,
        name: str,
        metric: cloudwatch.IMetric,
        threshold: float,
        description: str,
        runbook: str = "",
    ) -> None:
        alarm = cloudwatch.Alarm(
            self,
            name,
            alarm_name=f"{self.prefix}-{name}",
            alarm_description=f"{description}. Runbook: docs/operations.md#{runbook or name}",
            metric=metric,
            threshold=threshold,
            comparison_operator=GT,
            evaluation_periods=1,
            # No data is no traffic: nothing failed.
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(actions.SnsAction(self.topic))
        alarm.add_ok_action(actions.SnsAction(self.topic))
        self.alarms[name] = alarm


def http_5xx_percent(api: apigwv2.HttpApi, period: Duration) -> cloudwatch.MathExpression:
    return cloudwatch.MathExpression(
        expression="IF(requests > 0, 100 * errors / requests, 0)",
        using_metrics={
            "errors": api.metric_server_error(statistic="Sum", period=period),
            "requests": api.metric_count(statistic="Sum", period=period),
        },
        label="5xx %",
        period=period,
    )


def dynamodb_throttles(
    table: dynamodb.ITable, period: Duration, *, name: str = "table"
) -> cloudwatch.MathExpression:
    """Read plus write throttle events; `name` keeps the ids apart when one graph draws
    several tables."""
    return cloudwatch.MathExpression(
        expression=f"{name}Reads + {name}Writes",
        using_metrics={
            f"{name}Reads": table.metric("ReadThrottleEvents", statistic="Sum", period=period),
            f"{name}Writes": table.metric("WriteThrottleEvents", statistic="Sum", period=period),
        },
        label=name,
        period=period,
    )
