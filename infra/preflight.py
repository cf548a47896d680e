"""`python -m infra.preflight deploy|bootstrap --stage dev`: what `make deploy` and `make
bootstrap` check before the CDK CLI runs, each failure one line with its fix (instead of
CDK's "Unable to resolve AWS account to use" or a rollback halfway through a deploy).

Both: a region in the allow-list, and credentials that work (STS GetCallerIdentity).
Deploy also: the account is bootstrapped in that region (the SSM parameter CDK's bootstrap
stack writes), the Lambda Web Adapter layer exists there, and the account's concurrency
quota leaves room for the stage's reservations. No aws_cdk import: node never starts.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from infra.regions import region_problem, web_adapter_layer_arn
from infra.stages import DEFAULT_STAGE, STAGES, Stage

# CDK's default qualifier; the bootstrap stack keeps its template version here.
BOOTSTRAP_PARAMETER = "/cdk-bootstrap/hnb659fds/version"
# The oldest bootstrap the synthesized template accepts (its CheckBootstrapVersion rule).
MIN_BOOTSTRAP_VERSION = 6
# Lambda refuses a reservation that leaves fewer unreserved executions than this.
UNRESERVED_MINIMUM = 100
CONCURRENCY_QUOTA_CODE = "L-B99A9384"


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "error"))


def credentials_problem(session: boto3.Session) -> tuple[str | None, str]:
    """(problem, account id)."""
    try:
        identity = session.client("sts").get_caller_identity()
    except NoCredentialsError:
        return (
            "no AWS credentials: set AWS_PROFILE=<profile> (or run `aws configure`, or"
            " `aws sso login --profile <profile>`)",
            "",
        )
    except ClientError as exc:
        return (
            f"AWS refused the credentials ({_code(exc)}): refresh them (`aws sso login"
            " --profile <profile>`) or set AWS_PROFILE=<profile>",
            "",
        )
    except BotoCoreError as exc:
        return f"AWS credentials unusable ({exc}): set AWS_PROFILE=<profile>", ""
    return None, str(identity["Account"])


def bootstrap_problem(session: boto3.Session, *, account: str, region: str) -> str | None:
    try:
        answer = session.client("ssm").get_parameter(Name=BOOTSTRAP_PARAMETER)
    except ClientError as exc:
        if _code(exc) == "ParameterNotFound":
            return f"account {account} is not bootstrapped in {region}: run `make bootstrap`"
        return (
            f"cannot read {BOOTSTRAP_PARAMETER} ({_code(exc)}): the credentials need"
            " ssm:GetParameter on it (or run `make bootstrap`)"
        )
    version = int(answer["Parameter"]["Value"])
    if version < MIN_BOOTSTRAP_VERSION:
        return (
            f"the bootstrap stack in {region} is version {version}, older than"
            f" {MIN_BOOTSTRAP_VERSION}: run `make bootstrap` to upgrade it"
        )
    return None


def layer_problem(session: boto3.Session, *, region: str, layer_arn: str = "") -> str | None:
    """GetLayerVersion (what `aws lambda get-layer-version-by-arn` asks, by name and number)."""
    arn = layer_arn or web_adapter_layer_arn(region)
    name, _, number = arn.rpartition(":")
    try:
        session.client("lambda").get_layer_version(LayerName=name, VersionNumber=int(number))
    except ClientError as exc:
        return (
            f"the Lambda Web Adapter layer {arn} is not available in {region} ({_code(exc)}):"
            " pick another region (docs/deploying.md#regions)"
        )
    return None


def concurrency_problem(*, quota: int, stage: Stage, reserved: int) -> str | None:
    if reserved == 0 or quota - reserved >= UNRESERVED_MINIMUM:
        return None
    return (
        f"the account's Lambda concurrency quota ({quota}) cannot reserve {reserved} for"
        f" stage {stage.name} (Lambda keeps {UNRESERVED_MINIMUM} unreserved): ask for more"
        f" (Service Quotas, code {CONCURRENCY_QUOTA_CODE}) or deploy with"
        ' CDK_ARGS="-c reserved_concurrency=false"'
    )


def check(
    command: str,
    *,
    stage: Stage,
    reserve: bool = True,
    session: boto3.Session | None = None,
    layer_arn: str = "",
) -> list[str]:
    """The problems found, at most one per check, stopping where later checks would only
    repeat the cause (no region, no credentials)."""
    session = session or boto3.Session()
    region = session.region_name
    if not region:
        return ["no AWS region: set AWS_REGION=us-east-1 (or `region` in your profile)"]
    problem = region_problem(region)
    if problem:
        return [problem]
    problem, account = credentials_problem(session)
    if problem:
        return [problem]
    if command == "bootstrap":
        return []
    problems = [
        bootstrap_problem(session, account=account, region=region),
        layer_problem(session, region=region, layer_arn=layer_arn),
    ]
    reserved = stage.reserved_concurrency(reserve=reserve)
    if reserved:
        problems.append(quota_problem(session, stage=stage, reserved=reserved))
    return [p for p in problems if p]


def quota_problem(session: boto3.Session, *, stage: Stage, reserved: int) -> str | None:
    try:
        settings: Any = session.client("lambda").get_account_settings()
    except ClientError as exc:
        return (
            f"cannot read the Lambda concurrency quota ({_code(exc)}): the credentials need"
            " lambda:GetAccountSettings"
        )
    quota = int(settings["AccountLimit"]["ConcurrentExecutions"])
    return concurrency_problem(quota=quota, stage=stage, reserved=reserved)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m infra.preflight", description=__doc__)
    parser.add_argument("command", choices=("deploy", "bootstrap"))
    parser.add_argument("--stage", choices=sorted(STAGES), default=DEFAULT_STAGE)
    parser.add_argument(
        "--no-reserve", action="store_true", help="as with -c reserved_concurrency=false"
    )
    args = parser.parse_args(argv)
    # The CDK CLI reads AWS_REGION before the profile's region; botocore reads only
    # AWS_DEFAULT_REGION: take the CLI's order, so both check the same region.
    session = boto3.Session(region_name=os.environ.get("AWS_REGION") or None)
    problems = check(
        args.command, stage=STAGES[args.stage], reserve=not args.no_reserve, session=session
    )
    for problem in problems:
        print(f"preflight: {problem}", file=sys.stderr)  # noqa: T201
    if problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
