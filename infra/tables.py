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


def keyed_ttl_table(
    scope: Construct,
    id: str,
    *,
    partition_key: str,
    sort_key: str,
    ttl_attribute: str,
    index: tuple[str, str],
) -> dynamodb.Table:
    """`ttl_table` with a sort key and one global secondary index (name, partition key;
    every attribute projected), for rows read by another key than their own."""
    table = dynamodb.Table(
        scope,
        id,
        partition_key=dynamodb.Attribute(name=partition_key, type=dynamodb.AttributeType.STRING),
        sort_key=dynamodb.Attribute(name=sort_key, type=dynamodb.AttributeType.STRING),
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        time_to_live_attribute=ttl_attribute,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        removal_policy=RemovalPolicy.DESTROY,
    )
    name, key = index
    table.add_global_secondary_index(
        index_name=name,
        partition_key=dynamodb.Attribute(name=key, type=dynamodb.AttributeType.STRING),
        projection_type=dynamodb.ProjectionType.ALL,
    )
    return table
