"""What a stage keeps: one aspect sets retention and removal on every log group, table and
queue of the stack, so no construct can forget it (constructs state only what is theirs).

dev: everything is deleted by `cdk destroy`, logs kept two weeks, no point-in-time recovery.
prod: tables, queues (the dead-letter queue's parked tasks), the user pool and log groups
are retained, tables and the user pool get deletion protection, tables point-in-time
recovery, logs are kept a year.
"""

from __future__ import annotations

import jsii
from aws_cdk import IAspect, RemovalPolicy
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import IConstruct

from infra.nag import acknowledge
from infra.stages import Stage


@jsii.implements(IAspect)
class StagePolicies:
    def __init__(self, stage: Stage) -> None:
        self.stage = stage
        self.removal = RemovalPolicy.RETAIN if stage.retain_data else RemovalPolicy.DESTROY

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, logs.CfnLogGroup):
            node.retention_in_days = self.stage.log_retention_days
            node.apply_removal_policy(self.removal)
        elif isinstance(node, dynamodb.CfnTable):
            node.apply_removal_policy(self.removal)
            node.deletion_protection_enabled = self.stage.retain_data
            node.point_in_time_recovery_specification = (
                dynamodb.CfnTable.PointInTimeRecoverySpecificationProperty(
                    point_in_time_recovery_enabled=self.stage.point_in_time_recovery
                )
            )
            if not self.stage.point_in_time_recovery:
                acknowledge(
                    node,
                    "DDB3",
                    f"Stage {self.stage.name} holds test data that `cdk destroy` deletes anyway:"
                    " backups of it would cost without protecting anything (prod has them).",
                )
        elif isinstance(node, sqs.CfnQueue):
            node.apply_removal_policy(self.removal)
        elif isinstance(node, cognito.CfnUserPool):
            # The pool holds the users: like a table, prod keeps it.
            node.apply_removal_policy(self.removal)
            node.deletion_protection = "ACTIVE" if self.stage.retain_data else "INACTIVE"
