"""The deploy pipeline: the workflow (test, synth both stages, dev on main, prod on a tag,
OIDC only) and the CI stack's OIDC provider and least-privilege deploy role."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.infra.helpers import of_type

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "deploy.yml"
REPO = "octo-org/fastapi-serverless"


@pytest.fixture(scope="module")
def workflow() -> dict[Any, Any]:
    import yaml

    loaded: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text())
    return loaded


def test_the_workflow_passes_the_github_workflow_schema() -> None:
    """What `make lint` runs (check-jsonschema with its vendored GitHub schema, offline)."""
    done = subprocess.run(
        [
            Path(sys.executable).parent / "check-jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            str(WORKFLOW),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_test_then_synth_both_stages_then_deploy(workflow: dict[Any, Any]) -> None:
    jobs = workflow["jobs"]
    assert jobs["synth"]["needs"] == "test"
    assert jobs["synth"]["strategy"]["matrix"]["stage"] == ["dev", "prod"]
    assert jobs["deploy-dev"]["needs"] == "synth"
    assert jobs["deploy-prod"]["needs"] == "synth"
    assert "bash .ci/run" in json.dumps(jobs["test"]["steps"])


def test_dev_deploys_on_main_and_prod_on_a_version_tag(workflow: dict[Any, Any]) -> None:
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as True
    assert triggers["push"] == {"branches": ["main"], "tags": ["v*"]}
    jobs = workflow["jobs"]
    assert "github.ref == 'refs/heads/main'" in jobs["deploy-dev"]["if"]
    assert "startsWith(github.ref, 'refs/tags/v')" in jobs["deploy-prod"]["if"]
    assert jobs["deploy-dev"]["environment"] == "dev"
    assert jobs["deploy-prod"]["environment"] == "prod"
    for stage in ("dev", "prod"):
        runs = [s.get("run", "") for s in jobs[f"deploy-{stage}"]["steps"]]
        assert any(r.startswith(f"make deploy STAGE={stage} ") for r in runs)


def test_aws_access_is_oidc_only(workflow: dict[Any, Any]) -> None:
    assert workflow["permissions"] == {"contents": "read"}
    text = WORKFLOW.read_text()
    assert "secrets." not in text
    assert "aws-access-key-id" not in text
    for stage in ("dev", "prod"):
        job = workflow["jobs"][f"deploy-{stage}"]
        assert job["permissions"] == {"contents": "read", "id-token": "write"}
        (assume,) = [s for s in job["steps"] if "configure-aws-credentials" in s.get("uses", "")]
        assert assume["with"]["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
    for name in ("test", "synth"):
        assert "permissions" not in workflow["jobs"][name]  # the read-only default


@pytest.fixture(scope="module")
def ci(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    from aws_cdk.assertions import Template

    from infra.app import build_app
    from infra.pipeline import CI_STACK

    outdir = tmp_path_factory.mktemp("cdk-ci")
    app, _ = build_app(context={"bundle": "stub", "github_repo": REPO}, outdir=str(outdir))
    ci_stack = app.node.find_child(CI_STACK)
    return Template.from_stack(ci_stack).to_json(), outdir  # type: ignore[arg-type]


def test_the_role_trusts_only_the_repos_dev_and_prod_environments(
    ci: tuple[dict[str, Any], Path],
) -> None:
    resources = ci[0]["Resources"]
    (provider,) = of_type(resources, "AWS::IAM::OIDCProvider").values()
    assert provider["Properties"]["Url"] == "https://token.actions.githubusercontent.com"
    assert provider["Properties"]["ClientIdList"] == ["sts.amazonaws.com"]
    (role,) = of_type(resources, "AWS::IAM::Role").values()
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    condition = trust["Condition"]
    assert condition["StringEquals"] == {
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com"
    }
    assert condition["ForAnyValue:StringEquals"] == {
        "token.actions.githubusercontent.com:sub": [
            f"repo:{REPO}:environment:dev",
            f"repo:{REPO}:environment:prod",
        ]
    }
    assert role["Properties"]["MaxSessionDuration"] == 3600
    assert "ManagedPolicyArns" not in role["Properties"]


def test_the_role_may_only_assume_the_bootstrap_roles_and_read_the_preflight(
    ci: tuple[dict[str, Any], Path],
) -> None:
    resources = ci[0]["Resources"]
    (policy,) = of_type(resources, "AWS::IAM::Policy").values()
    granted = {}
    for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        granted[tuple(sorted(actions))] = json.dumps(statement["Resource"])
    assert set(granted) == {
        ("sts:AssumeRole", "sts:TagSession"),
        ("ssm:GetParameter",),
        ("lambda:GetLayerVersion",),
        ("lambda:GetAccountSettings",),
    }
    for name in ("deploy", "file-publishing", "image-publishing", "lookup"):
        assert f"role/cdk-hnb659fds-{name}-role-" in granted[("sts:AssumeRole", "sts:TagSession")]
    assert "/cdk-bootstrap/hnb659fds/version" in granted[("ssm:GetParameter",)]
    assert granted[("lambda:GetAccountSettings",)] == '"*"'


def test_the_ci_stack_passes_cdk_nag_and_cfn_lint(ci: tuple[dict[str, Any], Path]) -> None:
    from cfnlint.api import lint

    template, outdir = ci
    report = json.loads((outdir / "validation-report.json").read_text())
    (plugin,) = [p for p in report["pluginReports"] if p["pluginName"] == "AwsSolutions"]
    assert plugin["violations"] == []
    errors = [
        m for m in lint(json.dumps(template), regions=["us-east-1"]) if m.rule.id.startswith("E")
    ]
    assert errors == []


def test_an_existing_provider_is_reused(tmp_path: Path) -> None:
    from aws_cdk.assertions import Template

    from infra.app import build_app
    from infra.pipeline import CI_STACK

    arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    context = {"bundle": "stub", "github_repo": REPO, "github_oidc_arn": arn}
    app, _ = build_app(context=context, outdir=str(tmp_path))
    resources = Template.from_stack(app.node.find_child(CI_STACK)).to_json()["Resources"]  # type: ignore[arg-type]
    assert of_type(resources, "AWS::IAM::OIDCProvider") == {}
    (role,) = of_type(resources, "AWS::IAM::Role").values()
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Federated": arn}
