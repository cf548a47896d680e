"""Context flags: the defaults, and a clear error for a value the app does not understand."""

from __future__ import annotations

import pytest


def test_defaults_are_dev_no_nat_pip_bundling_and_a_public_stream_url() -> None:
    from aws_cdk import App

    from infra.config import InfraConfig

    config = InfraConfig.from_node(App().node)
    assert config == InfraConfig(nat=False, bundle="pip", stream_auth="none", stage="dev")


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"nat": "maybe"}, "nat='maybe': expected true or false"),
        ({"bundle": "docker"}, "bundle='docker': expected one of pip, stub"),
        ({"stream_auth": "cognito"}, "stream_auth='cognito': expected one of none, iam"),
    ],
)
def test_bad_context_value_is_named_in_the_error(context: dict[str, str], message: str) -> None:
    from aws_cdk import App

    from infra.config import ConfigError, InfraConfig

    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        InfraConfig.from_node(App(context=context).node)


@pytest.mark.parametrize(
    ("key", "hint"),
    [("stagee", "did you mean stage?"), ("alarm-email", "did you mean alarm_email?"), ("x", "")],
)
def test_an_unknown_context_key_is_refused(key: str, hint: str) -> None:
    from aws_cdk import App

    from infra.config import ConfigError, InfraConfig

    with pytest.raises(ConfigError, match=f"unknown context key '{key}'") as raised:
        InfraConfig.from_node(App(context={key: "prod"}).node)
    assert hint in str(raised.value)


def test_cdk_own_keys_and_feature_flags_pass() -> None:
    from aws_cdk import App

    from infra.config import InfraConfig

    context = {
        "@aws-cdk/core:newStyleStackSynthesis": True,
        "aws:cdk:enable-path-metadata": True,
        "availability-zones:account=123456789012:region=eu-west-1": ["eu-west-1a"],
        "acknowledged-issue-numbers": [1234],
        "stage": "prod",
    }
    assert InfraConfig.from_node(App(context=context).node).stage == "prod"


def test_the_cli_refuses_an_unknown_key_in_one_line(tmp_path: object) -> None:
    """What `cdk synth -c stagee=prod` shows: the app exits 1 with one line, no traceback."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "CDK_CONTEXT_JSON": json.dumps({"stagee": "prod"}),
        "PYTHONPATH": str(root),
    }
    done = subprocess.run(
        [sys.executable, "-m", "infra"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert lines == [
        "error: unknown context key 'stagee' (did you mean stage?): this app reads "
        + ", ".join(sorted(__import__("infra.config", fromlist=["InfraConfig"]).InfraConfig.keys()))
    ]
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"stage": "staging"}, "stage='staging': expected one of dev, prod"),
        ({"domain": "api.example.com"}, "domain needs certificate_arn"),
        ({"certificate_arn": "arn:aws:acm:eu-west-1:1:certificate/x"}, "expected an ACM"),
        ({"alarm_email": "nobody"}, "alarm_email='nobody': expected an email address"),
        ({"stream_origins": "*"}, "stream_origins='\\*'"),
        ({"cors_origins": "https://ok.example.com,*"}, "cors_origins='\\*'"),
        ({"github_repo": "not a repo"}, "github_repo='not a repo': expected owner/name"),
    ],
)
def test_bad_stage_domain_and_alarm_values_are_named(context: dict[str, str], message: str) -> None:
    from aws_cdk import App

    from infra.config import ConfigError, InfraConfig

    with pytest.raises(ConfigError, match=message):
        InfraConfig.from_node(App(context=context).node)
