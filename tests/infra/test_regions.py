"""Regions: the allow-list holds against cfn-lint's per-region resource data, synth refuses
a known region outside it, and the template refuses one at deploy (a CloudFormation rule)."""

from __future__ import annotations

from typing import Any

import pytest

from infra.regions import ALLOWED_REGIONS, region_problem, web_adapter_layer_arn
from tests.infra.helpers import Synth

# The regions the infra review named: something the stack needs is missing there.
KNOWN_BAD = [
    "ap-south-2",
    "eu-central-2",
    "il-central-1",
    "me-central-1",
    "cn-north-1",
    "us-gov-west-1",
]


def _types(synth: Synth) -> set[str]:
    return {r["Type"] for r in synth.template.to_json()["Resources"].values()}


@pytest.mark.parametrize("region", ALLOWED_REGIONS)
def test_every_resource_type_of_both_stages_exists_in_each_allowed_region(
    region: str, stub: Synth, prod: Synth
) -> None:
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    available = set(PROVIDER_SCHEMA_MANAGER.get_resource_types(region))
    assert _types(stub) | _types(prod) <= available


def test_cfn_lint_knows_function_urls_are_missing_where_the_review_said() -> None:
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    for region in ("ap-south-2", "eu-central-2", "il-central-1", "me-central-1"):
        assert "AWS::Lambda::Url" not in PROVIDER_SCHEMA_MANAGER.get_resource_types(region)


@pytest.mark.parametrize("region", KNOWN_BAD)
def test_regions_outside_the_list_are_refused_with_the_fix(region: str) -> None:
    problem = region_problem(region)
    assert problem is not None
    assert region in problem
    assert "AWS_REGION" in problem


def test_synth_refuses_a_region_outside_the_list(tmp_path: Any) -> None:
    from infra.app import build_app
    from infra.config import ConfigError

    with pytest.raises(ConfigError, match="il-central-1 is not in the allow-list"):
        build_app(context={"bundle": "stub"}, outdir=str(tmp_path), region="il-central-1")


def test_the_template_refuses_other_regions_at_deploy(template: Any) -> None:
    rules = template.to_json()["Rules"]
    (rule,) = [r for name, r in rules.items() if name.startswith("AllowedRegion")]
    (assertion,) = rule["Assertions"]
    assert assertion["Assert"] == {"Fn::Contains": [list(ALLOWED_REGIONS), {"Ref": "AWS::Region"}]}


def test_the_stream_function_uses_the_layer_the_preflight_checks(
    resources: dict[str, Any],
) -> None:
    """The preflight asks Lambda for web_adapter_layer_arn(region): the same layer."""
    from tests.infra.helpers import function

    _, props = function(resources, "stream")
    (layer,) = props["Layers"]
    parts = layer["Fn::Join"][1]
    tail = web_adapter_layer_arn("REGION").split(":REGION")[1]
    assert parts[-1] == tail
