"""The deploy preflight against moto: each failure is one line naming its fix, and a ready
account passes. (moto has no GetAccountSettings: the quota rule is checked on its own.)"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.preflight import BOOTSTRAP_PARAMETER, check, concurrency_problem
from infra.stages import DEV, PROD


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    from moto import mock_aws

    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    with mock_aws():
        yield


def session(region: str | None = "eu-west-1") -> Any:
    import boto3

    return boto3.Session(region_name=region)


def bootstrap(version: str = "21") -> None:
    session().client("ssm").put_parameter(Name=BOOTSTRAP_PARAMETER, Value=version, Type="String")


def layer() -> str:
    """A layer in moto's account standing in for the public Web Adapter layer."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("bootstrap", "#!/bin/sh\n")
    answer = (
        session()
        .client("lambda")
        .publish_layer_version(
            LayerName="LambdaAdapterLayerArm64", Content={"ZipFile": archive.getvalue()}
        )
    )
    return str(answer["LayerVersionArn"])


def test_a_ready_account_passes(aws: None) -> None:
    bootstrap()
    assert check("deploy", stage=DEV, reserve=False, session=session(), layer_arn=layer()) == []


def test_no_region_says_to_set_one(aws: None) -> None:
    (problem,) = check("deploy", stage=DEV, session=session(None))
    assert problem.startswith("no AWS region: set AWS_REGION=")


def test_a_region_outside_the_list_is_refused_before_any_call(aws: None) -> None:
    (problem,) = check("bootstrap", stage=DEV, session=session("il-central-1"))
    assert "il-central-1 is not in the allow-list" in problem


def test_no_credentials_says_which_profile_to_set(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    (problem,) = check("bootstrap", stage=DEV, session=session())
    assert problem.startswith("no AWS credentials: set AWS_PROFILE=")


def test_bootstrap_needs_only_region_and_credentials(aws: None) -> None:
    assert check("bootstrap", stage=PROD, session=session()) == []


def test_an_account_not_bootstrapped_is_told_to_run_make_bootstrap(aws: None) -> None:
    problems = check("deploy", stage=DEV, reserve=False, session=session(), layer_arn=layer())
    assert problems == [
        "account 123456789012 is not bootstrapped in eu-west-1: run `make bootstrap`"
    ]


def test_an_old_bootstrap_is_told_to_upgrade(aws: None) -> None:
    bootstrap("5")
    (problem,) = check("deploy", stage=DEV, reserve=False, session=session(), layer_arn=layer())
    assert "version 5, older than 6: run `make bootstrap`" in problem


def test_a_missing_web_adapter_layer_is_named_with_its_region(aws: None) -> None:
    bootstrap()
    (problem,) = check("deploy", stage=DEV, reserve=False, session=session())
    assert problem.startswith(
        "the Lambda Web Adapter layer arn:aws:lambda:eu-west-1:753240598075:layer:"
        "LambdaAdapterLayerArm64:30 is not available in eu-west-1"
    )
    assert "docs/deploying.md#regions" in problem


def test_each_problem_is_one_line(aws: None) -> None:
    problems = check("deploy", stage=DEV, reserve=False, session=session())
    assert len(problems) == 2
    assert all("\n" not in p for p in problems)


@pytest.mark.parametrize(
    ("quota", "stage", "fails"),
    [(10, DEV, True), (109, DEV, True), (110, DEV, False), (1000, PROD, False), (200, PROD, True)],
)
def test_the_quota_must_leave_lambdas_unreserved_minimum(
    quota: int, stage: Any, fails: bool
) -> None:
    problem = concurrency_problem(
        quota=quota, stage=stage, reserved=stage.reserved_concurrency(reserve=True)
    )
    assert (problem is not None) == fails
    if problem:
        assert "L-B99A9384" in problem
        assert "-c reserved_concurrency=false" in problem


def test_no_reservation_needs_no_quota() -> None:
    assert (
        concurrency_problem(quota=10, stage=DEV, reserved=DEV.reserved_concurrency(reserve=False))
        is None
    )


def test_the_cli_prints_one_line_per_problem_and_exits_1(
    aws: None, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from infra.preflight import main

    # AWS_REGION first, as the CDK CLI reads it.
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_REGION", "me-central-1")
    with pytest.raises(SystemExit) as exited:
        main(["deploy", "--stage", "prod"])
    assert exited.value.code == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("preflight: region me-central-1 is not in the allow-list")
