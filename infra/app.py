"""Builds the CDK app: the stack, and cdk-nag's AwsSolutions checks run at synth."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import App, Tags, Validations
from cdk_nag import AwsSolutionsChecks

from infra.config import InfraConfig
from infra.stack import SERVICE_NAME, ServerlessStack

STACK_NAME = "FastapiServerless"


def build_app(
    *, context: Mapping[str, Any] | None = None, outdir: str | None = None
) -> tuple[App, ServerlessStack]:
    """No account or region on the stack: synth needs no credentials and no lookups, and
    `cdk deploy` targets the account and region of the caller's credentials."""
    app = App(context=dict(context or {}), outdir=outdir)
    config = InfraConfig.from_node(app.node)
    stack = ServerlessStack(
        app,
        STACK_NAME,
        config=config,
        description="FastAPI on Lambda: HTTP API, WebSockets, SSE, SQS tasks, Valkey",
    )
    Tags.of(app).add("service", SERVICE_NAME)
    # Violations fail `cdk synth`; acknowledgements live next to the construct they excuse.
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app, stack
