"""One Lambda function the way this stack wants every function: arm64, the pinned Python,
active tracing, its own log group with retention, and its own role with no managed policy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.nag import acknowledge

# The lock and the bundler target exactly this pair (infra.lock): change them together.
# The newest Python the pinned CDK offers, so cdk-nag's L1 (runtime not the latest) stays
# quiet; when a newer one appears, L1 fails synth until this, PYTHON_VERSION and the lock
# (`make lock`) move together, after the suite has run on that Python.
RUNTIME = lambda_.Runtime.PYTHON_3_14
ARCHITECTURE = lambda_.Architecture.ARM_64
# The construct's default; the stage's retention replaces it (infra.stage_policies).
LOG_RETENTION = logs.RetentionDays.ONE_MONTH

# The actions of AWSLambdaVPCAccessExecutionRole, without the managed policy (IAM4).
ENI_ACTIONS = [
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
]


class AppFunction(Construct):
    """A Lambda function with a least-privilege role: the stack adds each grant it needs."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        code: lambda_.Code,
        handler: str,
        description: str,
        environment: Mapping[str, str],
        memory_size: int,
        timeout: Duration,
        vpc: ec2.IVpc | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] = (),
        layers: Sequence[lambda_.ILayerVersion] = (),
        snap_start: bool = False,
        reserved_concurrency: int | None = None,
    ) -> None:
        super().__init__(scope, id)
        self.log_group = logs.LogGroup(
            self, "Logs", retention=LOG_RETENTION, removal_policy=RemovalPolicy.DESTROY
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{description} (execution role)",
        )
        self.log_group.grant_write(self.role)
        if vpc is not None:
            self.role.add_to_policy(iam.PolicyStatement(actions=ENI_ACTIONS, resources=["*"]))
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            code=code,
            handler=handler,
            description=description,
            environment=dict(environment),
            memory_size=memory_size,
            timeout=timeout,
            tracing=lambda_.Tracing.ACTIVE,
            log_group=self.log_group,
            role=self.role,
            vpc=vpc,
            vpc_subnets=vpc_subnets,
            security_groups=list(security_groups) or None,
            layers=list(layers) or None,
            reserved_concurrent_executions=reserved_concurrency,
            # A snapshot of the initialised environment per published version; restored
            # environments skip the init (handler.platform.runtime.snapstart).
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if snap_start else None,
            # Each deploy publishes a version, and a version's snapshot is billed while it
            # exists: the replaced one is deleted, not retained.
            current_version_options=lambda_.VersionOptions(removal_policy=RemovalPolicy.DESTROY)
            if snap_start
            else None,
        )
        self._acknowledge(in_vpc=vpc is not None)

    def _acknowledge(self, *, in_vpc: bool) -> None:
        unscoped = "X-Ray trace upload (xray:PutTraceSegments, xray:PutTelemetryRecords)"
        if in_vpc:
            unscoped += (
                " and Lambda's VPC network interfaces (ec2:*NetworkInterface*, ec2:DescribeSubnets)"
            )
        acknowledge(
            self,
            "IAM5[Resource::*]",
            f"Resource '*' only for {unscoped}: IAM offers no resource-level permissions for"
            " these actions. Every other statement of this role names its resources.",
        )
