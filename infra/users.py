"""The users resource's storage: one DynamoDB table, and the key its listing cursors are
signed with (handler/api/users/dynamodb_users.py, handler/platform/pagination/)."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.nag import acknowledge

# Exactly what DynamoDBUserStore calls (TransactWriteItems needs the rights of the
# Put and Delete inside it). No Query, no batch operations, no index.
ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:Scan",
)

LOGICAL_ID = "UsersTable"


class Users(Construct):
    """`table`: on demand, point-in-time recovery, one string partition key `pk` for three
    kinds of item: users (`USER#<id>`), the owner of each email (`EMAIL#<email>`) and the
    id counter (`COUNTER#users`). One table, so the transaction that claims an email and
    writes its user stays in one table and one grant.

    It holds the resource's data: in prod, `cdk destroy` keeps it (RETAIN, with deletion
    protection; infra.stage_policies) and its logical id is fixed (`UsersTable`), so a new
    stack takes the kept table back with `cdk import` (docs/deploying.md#prod-keeps-its-data).

    `cursor_secret`: a generated 64-character key. The stack hands it to the HTTP
    function as CURSOR_SECRET through a CloudFormation dynamic reference, resolved at
    deploy time: reading it at run time would need a Secrets Manager interface endpoint
    in the VPC (about 15 USD a month) for a key that only keeps cursors honest. Whoever
    may read the function's configuration may read it.
    """

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
        )
        # The name `cdk import`'s resource mapping uses; a hash would change with the path.
        self.table.node.default_child.override_logical_id(LOGICAL_ID)  # type: ignore[union-attr]
        self.cursor_secret = secretsmanager.Secret(
            self,
            "CursorSecret",
            description="HMAC key of the users listing's cursors (CURSOR_SECRET)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True
            ),
            removal_policy=RemovalPolicy.DESTROY,
        )
        acknowledge(
            self.cursor_secret,
            "SMG4",
            "Rotated by hand if ever: a new key only makes the cursors in flight answer 400"
            " (clients start the listing again); a rotation Lambda would cost more than it"
            " protects.",
        )

    @property
    def cursor_secret_value(self) -> str:
        """The `{{resolve:secretsmanager:...}}` reference CloudFormation fills in."""
        return self.cursor_secret.secret_value.unsafe_unwrap()
