"""cdk-nag 3.x acknowledgements: CDK's own `Validations.of(construct).acknowledge`, with the
rule id spelled the way the AwsSolutions report asks for it."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct

PACK = "AwsSolutions"


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    """Accept one finding (`IAM5[Resource::...]` names a single granular finding) on `scope`
    and everything under it; the reason is what a reviewer reads in the report."""
    Validations.of(scope).acknowledge(Acknowledgment(id=f"{PACK}::{PACK}-{rule}", reason=reason))
