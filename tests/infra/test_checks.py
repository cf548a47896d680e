"""Static checks on the synthesized template: cdk-nag's AwsSolutions pack finds nothing that
is not acknowledged with a reason, and cfn-lint reports no error."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.infra.helpers import Synth

MIN_REASON = 60  # a sentence a reviewer can check, not a placeholder


def _nag_report(synth: Synth) -> dict[str, Any]:
    report = json.loads((synth.outdir / "validation-report.json").read_text())
    (plugin,) = [p for p in report["pluginReports"] if p["pluginName"] == "AwsSolutions"]
    return dict(plugin)


@pytest.mark.parametrize("which", ["stub", "prod", "variant"])
def test_cdk_nag_reports_no_unacknowledged_finding(
    which: str, request: pytest.FixtureRequest
) -> None:
    synth: Synth = request.getfixturevalue(which)
    assert synth.validation_error == "", synth.validation_error
    plugin = _nag_report(synth)
    assert plugin["conclusion"] == "success"
    assert plugin["violations"] == []


def test_acknowledged_findings_are_the_reviewed_few(stub: Synth) -> None:
    """Adding an acknowledgement is a review decision: this list changes with it."""
    suppressed = _nag_report(stub)["suppressedViolations"]
    # A resource's logical id (hashed) and attribute read as <Ref>.
    rules = {re.sub(r"<[A-Za-z0-9.]+>", "<Ref>", s["ruleName"]) for s in suppressed}
    assert rules == {
        "AwsSolutions-IAM5[Resource::*]",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>"
        ":<AWS::AccountId>:<Ref>/dev/*/@connections/*]",
        # Query on the subscriptions table's topic index (its ARN ends in /index/*).
        "AwsSolutions-IAM5[Resource::<Ref>/index/*]",
        "AwsSolutions-APIG1",
        "AwsSolutions-APIG4",
        "AwsSolutions-SMG4",
        # dev only: its tables have no point-in-time recovery (infra.stage_policies).
        "AwsSolutions-DDB3",
        # MFA optional (TOTP), so password sign-in works for CLIs and the e2e tests.
        "AwsSolutions-COG2",
        # dev only: no Plus plan, so no threat protection (infra.identity).
        "AwsSolutions-COG8",
    }
    assert all(len(s["reason"]) >= MIN_REASON for s in suppressed)


def test_prod_acknowledges_no_missing_recovery(prod: Synth) -> None:
    suppressed = {s["ruleName"] for s in _nag_report(prod)["suppressedViolations"]}
    assert "AwsSolutions-DDB3" not in suppressed
    assert "AwsSolutions-COG8" not in suppressed, "prod's pool has threat protection"
    assert any("/prod/*/@connections/*" in rule for rule in suppressed)


def test_every_acknowledgement_is_used_and_reasoned(stub: Synth) -> None:
    from aws_cdk import Validations

    key = Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    ours: dict[str, str] = {}
    for construct in stub.stack.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == key:
                ours |= {r: why for r, why in entry.data.items() if r.startswith("AwsSolutions::")}
    assert ours, "the acknowledgements were not recorded"
    assert all(len(reason) >= MIN_REASON for reason in ours.values())
    used = {s["acknowledgedId"] for s in _nag_report(stub)["suppressedViolations"]}
    assert set(ours) <= used, f"stale acknowledgements: {sorted(set(ours) - used)}"


def _cfn_lint_errors(template_path: Path) -> list[str]:
    from cfnlint.api import lint

    from infra.regions import ALLOWED_REGIONS

    # Every region of the allow-list: E3006 names a resource type missing in one of them.
    matches = lint(template_path.read_text(), regions=list(ALLOWED_REGIONS))
    return [str(m) for m in matches if m.rule.id.startswith("E")]


@pytest.mark.parametrize("which", ["stub", "prod", "variant"])
def test_cfn_lint_finds_no_error(which: str, request: pytest.FixtureRequest) -> None:
    synth: Synth = request.getfixturevalue(which)
    assert _cfn_lint_errors(synth.template_path) == []


def test_cdk_nag_fails_synth_on_a_new_finding(tmp_path: Path) -> None:
    """The checks are wired to the app: an unencrypted queue without a DLQ stops synth."""
    from aws_cdk import aws_sqs as sqs
    from aws_cdk.assertions import Template

    from infra.app import build_app

    _app, stack = build_app(context={"bundle": "stub"}, outdir=str(tmp_path))
    sqs.Queue(stack, "Unreviewed")
    with pytest.raises(RuntimeError, match=r"AwsSolutions-SQS3[\s\S]*Unreviewed"):
        Template.from_stack(stack)


def test_apig4_says_authorization_happens_in_the_app_against_cognito(stub: Synth) -> None:
    """Neither API has an API Gateway authorizer: the acknowledgement says where the
    check is instead."""
    reasons = [
        s["reason"]
        for s in _nag_report(stub)["suppressedViolations"]
        if s["ruleName"] == "AwsSolutions-APIG4"
    ]
    assert len(reasons) == 2, "the HTTP API and the WebSocket API"
    for reason in reasons:
        assert "Authorization happens in the app" in reason
        assert "JWT" in reason
        assert "Cognito user pool's JWKS" in reason
