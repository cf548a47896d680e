"""One CloudWatch dashboard per stage: the alarms' figures, then the app's own metrics
(Powertools EMF lines, namespace METRICS_NAMESPACE, dimensions `service` and `stage` on
every metric plus the per-metric ones below; handler.platform.metrics emits them).

Metrics with extra dimensions are drawn with SEARCH, one line per dimension value (route,
task, reason...), so a new route or task appears without a deploy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Duration, Stack
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.alarms import dynamodb_throttles, http_5xx_percent

# Metric name -> its dimensions beyond `service` and `stage` (docs/operations.md#metrics).
CUSTOM_METRICS: dict[str, tuple[str, ...]] = {
    "ColdStart": ("function",),
    "Requests": ("route", "status_class"),
    "Latency": ("route",),
    "TasksQueued": ("task",),
    "TasksRun": ("task",),
    "TasksRetried": ("task",),
    "TasksDeadLettered": ("reason",),
    "TaskDuration": ("task",),
    "ConnectionPostsSent": (),
    "ConnectionPostsGone": (),
    "ConnectionPostsFailed": (),
    "CacheHits": (),
    "CacheMisses": (),
    "CacheBypasses": (),
    "RateLimitRefusals": (),
    "RedisFailOpen": ("component",),
    "AuthRefusals": ("reason",),
}
# Graphs of the app's metrics: title -> (metric names, statistic).
CUSTOM_GRAPHS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("Requests by route and status class", ("Requests",), "Sum"),
    ("Latency p99 by route (ms)", ("Latency",), "p99"),
    ("Cold starts by function", ("ColdStart",), "Sum"),
    ("Tasks", ("TasksQueued", "TasksRun", "TasksRetried", "TasksDeadLettered"), "Sum"),
    ("Task duration p99 by task (ms)", ("TaskDuration",), "p99"),
    (
        "@connections posts",
        ("ConnectionPostsSent", "ConnectionPostsGone", "ConnectionPostsFailed"),
        "Sum",
    ),
    ("Response cache", ("CacheHits", "CacheMisses", "CacheBypasses"), "Sum"),
    ("Refusals and Redis fail-open", ("RateLimitRefusals", "AuthRefusals", "RedisFailOpen"), "Sum"),
)
PERIOD = Duration.minutes(5)
WIDTH = 8  # three graphs a row (the grid is 24 wide)


class Dashboard(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        namespace: str,
        service: str,
        stage: str,
        alarms: Sequence[cloudwatch.IAlarm],
        functions: Mapping[str, lambda_.IFunction],
        queue: sqs.IQueue,
        dead_letter_queue: sqs.IQueue,
        http_api: apigwv2.HttpApi,
        websocket_api: apigwv2.IWebSocketApi,
        tables: Mapping[str, dynamodb.ITable],
    ) -> None:
        super().__init__(scope, id)
        self.namespace, self.service, self.stage = namespace, service, stage
        self.dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=Stack.of(self).stack_name,
            default_interval=Duration.hours(3),
        )
        self.dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=list(alarms), width=24)
        )
        self.dashboard.add_widgets(
            graph(
                "HTTP API requests and 5xx",
                [
                    http_api.metric_count(statistic="Sum", period=PERIOD),
                    http_api.metric_server_error(statistic="Sum", period=PERIOD),
                ],
                right=[http_5xx_percent(http_api, PERIOD)],
            ),
            graph(
                "HTTP API latency p99 (ms)",
                [
                    http_api.metric_latency(statistic="p99", period=PERIOD),
                    http_api.metric_integration_latency(statistic="p99", period=PERIOD),
                ],
            ),
            graph(
                "WebSocket API",
                [
                    websocket_metric(websocket_api, stage, name)
                    for name in (
                        "ConnectCount",
                        "MessageCount",
                        "IntegrationError",
                        "ExecutionError",
                    )
                ],
            ),
        )
        self.dashboard.add_widgets(
            graph(
                "Function errors",
                [
                    f.metric_errors(label=n, statistic="Sum", period=PERIOD)
                    for n, f in functions.items()
                ],
            ),
            graph(
                "Function throttles",
                [
                    f.metric_throttles(label=n, statistic="Sum", period=PERIOD)
                    for n, f in functions.items()
                ],
            ),
            graph(
                "Function duration p99 (ms)",
                [
                    f.metric_duration(label=n, statistic="p99", period=PERIOD)
                    for n, f in functions.items()
                ],
            ),
        )
        self.dashboard.add_widgets(
            graph(
                "Task queue",
                [
                    queue.metric_approximate_number_of_messages_visible(
                        label="queued", statistic="Maximum", period=PERIOD
                    )
                ],
                right=[
                    queue.metric_approximate_age_of_oldest_message(
                        label="oldest (s)", statistic="Maximum", period=PERIOD
                    )
                ],
            ),
            graph(
                "Dead-letter queue",
                [
                    dead_letter_queue.metric_approximate_number_of_messages_visible(
                        label="parked", statistic="Maximum", period=PERIOD
                    )
                ],
            ),
            graph(
                "DynamoDB throttle events",
                [dynamodb_throttles(t, PERIOD, name=n) for n, t in tables.items()],
            ),
        )
        custom = [
            graph(title, [self.custom(n, stat) for n in names])
            for title, names, stat in CUSTOM_GRAPHS
        ]
        for start in range(0, len(custom), 3):
            self.dashboard.add_widgets(*custom[start : start + 3])

    def custom(self, name: str, statistic: str) -> cloudwatch.IMetric:
        """The app's metric `name`: one line, or one line per value of its dimensions."""
        base = {"service": self.service, "stage": self.stage}
        extra = CUSTOM_METRICS[name]
        if not extra:
            return cloudwatch.Metric(
                namespace=self.namespace,
                metric_name=name,
                dimensions_map=base,
                statistic=statistic,
                period=PERIOD,
                label=name,
            )
        schema = ",".join([f'"{self.namespace}"', "service", "stage", *extra])
        query = f'{{{schema}}} MetricName="{name}" service="{self.service}" stage="{self.stage}"'
        return cloudwatch.MathExpression(
            expression=f"SEARCH('{query}', '{statistic}', {int(PERIOD.to_seconds())})",
            using_metrics={},
            label=name,
            period=PERIOD,
        )


def graph(
    title: str, left: Sequence[cloudwatch.IMetric], right: Sequence[cloudwatch.IMetric] = ()
) -> cloudwatch.GraphWidget:
    return cloudwatch.GraphWidget(title=title, left=list(left), right=list(right), width=WIDTH)


def websocket_metric(api: apigwv2.IWebSocketApi, stage: str, name: str) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace="AWS/ApiGateway",
        metric_name=name,
        dimensions_map={"ApiId": api.api_id, "Stage": stage},
        statistic="Sum",
        period=PERIOD,
        label=name,
    )
