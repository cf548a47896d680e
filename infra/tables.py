"""DynamoDB tables the app keeps short-lived rows in: on demand, TTL, point-in-time recovery."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct


def ttl_table(
    scope: Construct, id: str, *, partition_key: str, ttl_attribute: str
) -> dynamodb.Table:
    """A table keyed on one string attribute whose rows expire through `ttl_attribute`.

    Its rows (connections, idempotency records) live hours at most, so `cdk destroy`
    deletes the table rather than orphaning it.
    """
    return dynamodb.Table(
        scope,
        id,
        partition_key=dynamodb.Attribute(name=partition_key, type=dynamodb.AttributeType.STRING),
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        time_to_live_attribute=ttl_attribute,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        removal_policy=RemovalPolicy.DESTROY,
    )
