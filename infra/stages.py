"""The deployment stages (`-c stage=dev|prod`) and what differs between them.

No aws_cdk import here: the deploy preflight (infra.preflight) reads these choices without
starting node, and tests/infra holds the emulator's restatement (local/aws/topology.py)
against them.
"""

from __future__ import annotations

from dataclasses import dataclass

STACK_PREFIX = "FastapiServerless"
DEFAULT_STAGE = "dev"


@dataclass(frozen=True, kw_only=True)
class Stage:
    name: str
    # Tables, queues and log groups survive `cdk destroy` (DeletionPolicy Retain), tables
    # get deletion protection, and the stack termination protection.
    retain_data: bool
    log_retention_days: int  # one of CloudWatch Logs' allowed values
    point_in_time_recovery: bool
    # Reserved concurrency: capacity kept for the HTTP function (None: it shares the
    # account's unreserved pool), and the ceiling of the open stream Function URL.
    http_reserved_concurrency: int | None
    stream_reserved_concurrency: int
    # The user pool on Cognito's Plus plan with threat protection enforced (infra.identity).
    threat_protection: bool

    @property
    def stack_name(self) -> str:
        return f"{STACK_PREFIX}-{self.name}"

    def reserved_concurrency(self, *, reserve: bool) -> int:
        """What this stage reserves out of the account's concurrency quota."""
        if not reserve:
            return 0
        return (self.http_reserved_concurrency or 0) + self.stream_reserved_concurrency


DEV = Stage(
    name="dev",
    retain_data=False,
    log_retention_days=14,
    point_in_time_recovery=False,
    http_reserved_concurrency=None,
    stream_reserved_concurrency=10,
    threat_protection=False,
)
PROD = Stage(
    name="prod",
    retain_data=True,
    log_retention_days=365,
    point_in_time_recovery=True,
    http_reserved_concurrency=100,
    stream_reserved_concurrency=50,
    threat_protection=True,
)
STAGES = {stage.name: stage for stage in (DEV, PROD)}
