"""The CI stack (`-c github_repo=owner/name`): GitHub's OIDC provider and the role that
.github/workflows/deploy.yml assumes. No stored keys: a workflow job of that repository,
in its `dev` or `prod` environment, trades its OIDC token for an hour of this role.

The role can do little itself. `cdk deploy` works through the bootstrap roles (deploy,
file publishing, lookup), so the role may only assume those, plus the reads of
infra.preflight. Deploy rights live in the bootstrap stack's CloudFormation execution role.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, CfnOutput, Duration, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.nag import acknowledge
from infra.preflight import BOOTSTRAP_PARAMETER
from infra.regions import WEB_ADAPTER_ACCOUNT, WEB_ADAPTER_LAYER, WEB_ADAPTER_VERSION

GITHUB_OIDC = "token.actions.githubusercontent.com"
AUDIENCE = "sts.amazonaws.com"
QUALIFIER = "hnb659fds"  # CDK's default bootstrap qualifier
BOOTSTRAP_ROLES = ("deploy", "file-publishing", "image-publishing", "lookup")
ENVIRONMENTS = ("dev", "prod")
CI_STACK = "FastapiServerless-ci"


class GithubDeployAccess(Construct):
    """`role`: assumable by the repository's `dev` and `prod` environment jobs only."""

    def __init__(self, scope: Construct, id: str, *, repo: str, provider_arn: str = "") -> None:
        super().__init__(scope, id)
        if not provider_arn:
            # L1, not iam.OpenIdConnectProvider: that one is a custom resource (a Lambda).
            # IAM trusts GitHub's certificate authority, so no thumbprint pins a certificate.
            provider = iam.CfnOIDCProvider(
                self, "Provider", url=f"https://{GITHUB_OIDC}", client_id_list=[AUDIENCE]
            )
            provider_arn = provider.attr_arn
        subjects = [f"repo:{repo}:environment:{env}" for env in ENVIRONMENTS]
        self.role = iam.Role(
            self,
            "Role",
            description=f"GitHub Actions deploys of {repo} (environments dev, prod)",
            max_session_duration=Duration.hours(1),
            assumed_by=iam.FederatedPrincipal(
                provider_arn,
                conditions={
                    "StringEquals": {f"{GITHUB_OIDC}:aud": AUDIENCE},
                    "ForAnyValue:StringEquals": {f"{GITHUB_OIDC}:sub": subjects},
                },
                assume_role_action="sts:AssumeRoleWithWebIdentity",
            ),
        )
        account, region, partition = Aws.ACCOUNT_ID, Aws.REGION, Aws.PARTITION
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["sts:AssumeRole", "sts:TagSession"],
                resources=[
                    f"arn:{partition}:iam::{account}:role/cdk-{QUALIFIER}-{name}-role-{account}-{region}"
                    for name in BOOTSTRAP_ROLES
                ],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["ssm:GetParameter"],
                resources=[
                    f"arn:{partition}:ssm:{region}:{account}:parameter{BOOTSTRAP_PARAMETER}"
                ],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["lambda:GetLayerVersion"],
                resources=[
                    f"arn:{partition}:lambda:{region}:{WEB_ADAPTER_ACCOUNT}:layer:"
                    f"{WEB_ADAPTER_LAYER}:{WEB_ADAPTER_VERSION}"
                ],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(actions=["lambda:GetAccountSettings"], resources=["*"])
        )
        acknowledge(
            self.role,
            "IAM5[Resource::*]",
            "Only lambda:GetAccountSettings (the preflight's concurrency-quota read), which IAM"
            " offers on no resource but '*'; every other statement names its resources.",
        )


class CiStack(Stack):
    def __init__(
        self, scope: Construct, id: str, *, repo: str, provider_arn: str = "", **kwargs: Any
    ) -> None:
        super().__init__(scope, id, **kwargs)
        self.access = GithubDeployAccess(self, "Github", repo=repo, provider_arn=provider_arn)
        CfnOutput(
            self,
            "DeployRoleArn",
            value=self.access.role.role_arn,
            description="The repository variable AWS_DEPLOY_ROLE_ARN",
        )
