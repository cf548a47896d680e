"""Synthesizes the stack once per session (jsii starts node, which is slow) and shares it.

`stub` is the default stack (stage dev) with the stub asset (handler/ only, fast); `prod`
is the prod stage with the stub asset and a custom domain for each API; `variant` flips
every other context flag (NAT, IAM-authenticated stream URL, no reserved concurrency, CORS
origins) and
bundles for real with pip, so the asset's content is checked once per run. Imports of
aws_cdk stay inside fixtures: importing it starts node, which may be missing (then these
tests skip, or fail under REQUIRE_NODE=1).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.infra.helpers import Synth


@pytest.fixture(scope="session", autouse=True)
def _node(node_available: None) -> None:
    """Every test here needs node (through jsii)."""


def _synthesize(outdir: Path, context: dict[str, Any]) -> Synth:
    from aws_cdk.assertions import Template

    from infra.app import build_app

    _app, stack = build_app(context=context, outdir=str(outdir))
    template_path = outdir / stack.template_file
    validation_error = ""
    try:
        template = Template.from_stack(stack)
    except RuntimeError as exc:
        # cdk-nag findings fail synthesis; the template is on disk all the same, so the
        # other assertions still run and test_checks reports the findings.
        validation_error = str(exc)
        template = Template.from_json(json.loads(template_path.read_text()))
    return Synth(
        stack=stack,
        template=template,
        outdir=outdir,
        validation_error=validation_error,
        template_path=template_path,
    )


@pytest.fixture(scope="session")
def stub(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return _synthesize(tmp_path_factory.mktemp("cdk-stub"), {"bundle": "stub"})


PROD_CONTEXT = {
    "bundle": "stub",
    "stage": "prod",
    "alarm_email": "ops@example.com",
    "domain": "api.example.com",
    "certificate_arn": "arn:aws:acm:eu-west-1:123456789012:certificate/"
    "0d2a7c2e-9f3b-4f5a-8c1e-2b3c4d5e6f70",
    "ws_domain": "ws.example.com",
}


@pytest.fixture(scope="session")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return _synthesize(tmp_path_factory.mktemp("cdk-prod"), PROD_CONTEXT)


@pytest.fixture(scope="session")
def prod_resources(prod: Synth) -> dict[str, Any]:
    resources: dict[str, Any] = prod.template.to_json()["Resources"]
    return resources


@pytest.fixture(scope="session")
def variant(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    context = {
        "bundle": "pip",
        "nat": "true",
        "stream_auth": "iam",
        "reserved_concurrency": "false",
        "cors_origins": "https://app.example.com,http://localhost:5173",
    }
    return _synthesize(tmp_path_factory.mktemp("cdk-variant"), context)


@pytest.fixture(scope="session")
def template(stub: Synth) -> Any:
    return stub.template


@pytest.fixture(scope="session")
def resources(stub: Synth) -> dict[str, Any]:
    resources: dict[str, Any] = stub.template.to_json()["Resources"]
    return resources


@pytest.fixture(scope="session")
def match() -> Any:
    from aws_cdk.assertions import Match

    return Match
