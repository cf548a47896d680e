"""The key the listings' cursors are signed with (handler/platform/pagination/). The users
table itself is declared in tables.toml, as every app table is (infra.tables.AppTables)."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.nag import acknowledge


class Users(Construct):
    """`cursor_secret`: a generated 64-character key. The stack hands it to the HTTP
    function as CURSOR_SECRET through a CloudFormation dynamic reference, resolved at
    deploy time: reading it at run time would need a Secrets Manager interface endpoint
    in the VPC (about 15 USD a month) for a key that only keeps cursors honest. Whoever
    may read the function's configuration may read it.
    """

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
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
