"""Builds the CDK app: the stage's stack (and the CI stack when asked), and cdk-nag's
AwsSolutions checks run at synth."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import App, Tags, Validations
from cdk_nag import AwsSolutionsChecks

from infra.config import ConfigError, InfraConfig
from infra.pipeline import CI_STACK, CiStack
from infra.regions import region_problem
from infra.stack import SERVICE_NAME, ServerlessStack


def build_app(
    *,
    context: Mapping[str, Any] | None = None,
    outdir: str | None = None,
    region: str | None = None,
) -> tuple[App, ServerlessStack]:
    """No account or region on the stack: synth needs no credentials and no lookups, and
    `cdk deploy` targets the account and region of the caller's credentials. `region` is
    that region when the CLI knows it (CDK_DEFAULT_REGION): one outside the allow-list
    stops synth here; the template's rule stops a deploy the same way."""
    app = App(context=dict(context or {}), outdir=outdir)
    config = InfraConfig.from_node(app.node)
    problem = region_problem(region) if region else None
    if problem:
        raise ConfigError(problem)
    stage = config.stage_choices
    stack = ServerlessStack(
        app,
        stage.stack_name,
        config=config,
        description=f"FastAPI on Lambda ({stage.name}): HTTP API, WebSockets, SSE, SQS tasks,"
        " Valkey",
    )
    if config.github_repo:
        CiStack(
            app,
            CI_STACK,
            repo=config.github_repo,
            provider_arn=config.github_oidc_arn,
            description="GitHub Actions OIDC provider and deploy role",
        )
    Tags.of(app).add("service", SERVICE_NAME)
    Tags.of(stack).add("stage", stage.name)
    # Violations fail `cdk synth`; acknowledgements live next to the construct they excuse.
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app, stack
