"""Alarms and the dashboard: every alarm the issue lists, each to the one SNS topic with a
runbook link, an email subscription only when asked, and a dashboard per stage that draws
the same figures and every custom metric of the app's namespace."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from infra.app_tables import APP_TABLES
from tests.infra.helpers import Synth, of_type

ROOT = Path(__file__).resolve().parents[2]
OPERATIONS = ROOT / "docs" / "operations.md"
FUNCTIONS = ("http", "worker", "ws", "stream")
# The app's tables (tables.toml), then the platform's.
TABLES = (*(table.name for table in APP_TABLES), "connections", "subscriptions", "idempotency")
EXPECTED = {
    "dead-letters",
    "oldest-task",
    *(f"{f}-{kind}" for f in FUNCTIONS for kind in ("errors", "throttles")),
    "http-5xx-rate",
    "http-p99-latency",
    "websocket-integration-errors",
    *(f"{t}-table-throttles" for t in TABLES),
}


def alarms(synth: Synth) -> dict[str, dict[str, Any]]:
    found = of_type(synth.template.to_json()["Resources"], "AWS::CloudWatch::Alarm")
    prefix = f"{synth.stack.stack_name}-"
    return {
        r["Properties"]["AlarmName"].removeprefix(prefix): r["Properties"] for r in found.values()
    }


def test_every_alarm_the_issue_lists_exists_with_the_stage_in_its_name(
    stub: Synth, prod: Synth
) -> None:
    assert set(alarms(stub)) == EXPECTED
    assert set(alarms(prod)) == EXPECTED
    names = {
        r["Properties"]["AlarmName"]
        for r in of_type(prod.template.to_json()["Resources"], "AWS::CloudWatch::Alarm").values()
    }
    assert all(name.startswith("FastapiServerless-prod-") for name in names)


def test_each_alarm_notifies_the_topic_on_alarm_and_on_recovery(stub: Synth) -> None:
    resources = stub.template.to_json()["Resources"]
    (topic_id,) = of_type(resources, "AWS::SNS::Topic")
    for props in alarms(stub).values():
        assert props["AlarmActions"] == [{"Ref": topic_id}]
        assert props["OKActions"] == [{"Ref": topic_id}]
        assert props["TreatMissingData"] == "notBreaching"


def test_each_alarm_links_a_runbook_line_that_exists() -> None:
    """The anchors are checked against docs/operations.md by the docs tests too."""
    from infra.alarms import Thresholds

    text = OPERATIONS.read_text()
    for anchor in (
        "dead-letters",
        "oldest-task",
        "function-errors",
        "function-throttles",
        "http-5xx-rate",
        "http-p99-latency",
        "websocket-integration-errors",
        "table-throttles",
    ):
        assert re.search(rf"^#+ `?{re.escape(anchor)}`?$", text, re.MULTILINE), anchor
    for field in Thresholds.__dataclass_fields__:
        assert f"`{field}`" in text, f"threshold {field} is not documented"


def test_runbook_links_point_at_operations(stub: Synth) -> None:
    for name, props in alarms(stub).items():
        assert "Runbook: docs/operations.md#" in props["AlarmDescription"], name


def test_thresholds_are_the_documented_defaults(stub: Synth) -> None:
    found = alarms(stub)
    assert found["dead-letters"]["Threshold"] == 0
    assert found["dead-letters"]["ComparisonOperator"] == "GreaterThanThreshold"
    assert found["oldest-task"]["Threshold"] == 300
    assert found["http-5xx-rate"]["Threshold"] == 1
    assert found["http-p99-latency"]["Threshold"] == 3000
    assert found["http-p99-latency"]["ExtendedStatistic"] == "p99"
    (metric,) = [m for m in found["http-5xx-rate"]["Metrics"] if "Expression" in m]
    assert "100 * errors / requests" in metric["Expression"]


def test_email_subscription_only_when_asked(stub: Synth, prod: Synth) -> None:
    assert of_type(stub.template.to_json()["Resources"], "AWS::SNS::Subscription") == {}
    (sub,) = of_type(prod.template.to_json()["Resources"], "AWS::SNS::Subscription").values()
    assert sub["Properties"]["Protocol"] == "email"
    assert sub["Properties"]["Endpoint"] == "ops@example.com"


def test_the_topic_refuses_publishers_without_tls(stub: Synth) -> None:
    policies = of_type(stub.template.to_json()["Resources"], "AWS::SNS::TopicPolicy")
    (policy,) = policies.values()
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def _widgets(synth: Synth) -> list[dict[str, Any]]:
    """The dashboard body as JSON (its tokens, the region and resource names, as TOKEN)."""
    resources = synth.template.to_json()["Resources"]
    (dashboard,) = of_type(resources, "AWS::CloudWatch::Dashboard").values()
    assert dashboard["Properties"]["DashboardName"] == synth.stack.stack_name
    parts = dashboard["Properties"]["DashboardBody"]["Fn::Join"][1]
    text = "".join(part if isinstance(part, str) else "TOKEN" for part in parts)
    widgets: list[dict[str, Any]] = json.loads(text)["widgets"]
    return widgets


def _drawn(widgets: list[dict[str, Any]]) -> tuple[set[str], list[str]]:
    """(metric names drawn directly, SEARCH expressions)."""
    names, expressions = set(), []
    for widget in widgets:
        for line in widget["properties"].get("metrics", []):
            if isinstance(line[0], dict):
                expressions.append(line[0]["expression"])
            else:
                names.add(line[1])
    return names, expressions


@pytest.mark.parametrize("which", ["stub", "prod"])
def test_the_dashboard_draws_every_custom_metric_of_its_stage(
    which: str, request: pytest.FixtureRequest
) -> None:
    from infra.dashboard import CUSTOM_METRICS

    synth: Synth = request.getfixturevalue(which)
    stage = synth.stack.stack_name.rsplit("-", 1)[1]
    widgets = _widgets(synth)
    _names, expressions = _drawn(widgets)
    for name, dimensions in CUSTOM_METRICS.items():
        if not dimensions:
            line = next(
                line
                for w in widgets
                for line in w["properties"].get("metrics", [])
                if not isinstance(line[0], dict) and line[1] == name
            )
            assert line[:6] == [
                "fastapi-serverless",
                name,
                "service",
                "fastapi-serverless",
                "stage",
                stage,
            ]
            continue
        (search,) = [e for e in expressions if f'MetricName="{name}"' in e]
        schema = ",".join(['"fastapi-serverless"', "service", "stage", *dimensions])
        assert search.startswith(f"SEARCH('{{{schema}}}")
        assert f'stage="{stage}"' in search


def test_the_dashboard_shows_the_alarms_and_the_service_figures(stub: Synth) -> None:
    widgets = _widgets(stub)
    assert widgets[0]["properties"]["alarms"]
    assert len(widgets[0]["properties"]["alarms"]) == len(EXPECTED)
    names, _ = _drawn(widgets)
    assert {
        "ApproximateAgeOfOldestMessage",
        "ApproximateNumberOfMessagesVisible",
        "Errors",
        "Throttles",
        "Duration",
        "Count",
        "5xx",
        "Latency",
        "IntegrationLatency",
        "IntegrationError",
        "ReadThrottleEvents",
        "WriteThrottleEvents",
    } <= names


def test_the_dashboard_page_names_every_custom_metric_and_its_dimensions() -> None:
    from infra.dashboard import CUSTOM_METRICS

    section = OPERATIONS.read_text().split("## Dashboard", 1)[1]
    for name, dimensions in CUSTOM_METRICS.items():
        assert f"`{name}`" in section, name
        for dimension in dimensions:
            assert f"`{dimension}`" in section, (name, dimension)


def test_the_documented_alarm_count_is_the_real_one(stub: Synth) -> None:
    platform = len(alarms(stub)) - len(APP_TABLES)
    assert (
        f"**{platform} alarms** and one more per table of `tables.toml`" in OPERATIONS.read_text()
    )
