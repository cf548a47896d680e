"""DynamoDB tables: the platform's short-lived ones (on demand, TTL, point-in-time
recovery), and the app's, as tables.toml declares them."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.app_tables import APP_TABLES, AppTable


def ttl_table(
    scope: Construct,
    id: str,
    *,
    partition_key: str,
    ttl_attribute: str,
    sort_key: str | None = None,
) -> dynamodb.Table:
    """A table keyed on one string attribute (and a string `sort_key`, if given) whose
    rows expire through `ttl_attribute`.

    Its rows (connections, subscriptions, idempotency records) live hours at most, so
    `cdk destroy` deletes the table rather than orphaning it.
    """
    return dynamodb.Table(
        scope,
        id,
        partition_key=dynamodb.Attribute(name=partition_key, type=dynamodb.AttributeType.STRING),
        sort_key=(
            dynamodb.Attribute(name=sort_key, type=dynamodb.AttributeType.STRING)
            if sort_key
            else None
        ),
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
    table = ttl_table(
        scope, id, partition_key=partition_key, sort_key=sort_key, ttl_attribute=ttl_attribute
    )
    name, key = index
    table.add_global_secondary_index(
        index_name=name,
        partition_key=dynamodb.Attribute(name=key, type=dynamodb.AttributeType.STRING),
        projection_type=dynamodb.ProjectionType.ALL,
    )
    return table


class AppTables(Construct):
    """The tables `tables.toml` declares (infra.app_tables): `tables` by name.

    Each is on demand with one string partition key and point-in-time recovery, and its
    logical id is fixed (`UsersTable`), so a new stack takes a table kept in prod back with
    `cdk import` (docs/deploying.md#prod-keeps-its-data). What a stage keeps (RETAIN and
    deletion protection in prod) is infra.stage_policies'.
    """

    def __init__(
        self, scope: Construct, id: str, *, declared: tuple[AppTable, ...] = APP_TABLES
    ) -> None:
        super().__init__(scope, id)
        self.declared = declared
        self.tables: dict[str, dynamodb.Table] = {}
        for spec in declared:
            table = dynamodb.Table(
                self,
                spec.title,
                partition_key=dynamodb.Attribute(
                    name=spec.partition_key, type=dynamodb.AttributeType.STRING
                ),
                billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
                time_to_live_attribute=spec.ttl_attribute,
                point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                    point_in_time_recovery_enabled=True
                ),
            )
            # The name `cdk import`'s resource mapping uses; a hash would change with the path.
            table.node.default_child.override_logical_id(spec.logical_id)  # type: ignore[union-attr]
            self.tables[spec.name] = table

    def wire(self, functions: Mapping[str, lambda_.Function]) -> None:
        """Each table to the functions it names: exactly its actions, and its variable."""
        for spec in self.declared:
            table = self.tables[spec.name]
            for name in spec.functions:
                table.grant(functions[name], *spec.iam_actions)
                functions[name].add_environment(spec.variable, table.table_name)
