"""Lookups on a synthesized template by properties (never by hashed logical ids)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HANDLERS = {
    "http": "handler.lambda_http.handler",
    "worker": "handler.lambda_worker.handler",
    "ws": "handler.lambda_ws.handler",
    "stream": "handler/run_stream.sh",
}


@dataclass(frozen=True)
class Synth:
    stack: Any
    template: Any
    outdir: Path
    template_path: Path
    validation_error: str


def of_type(resources: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {key: value for key, value in resources.items() if value["Type"] == type_}


def one(found: dict[str, dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    assert len(found) == 1, f"expected one resource, found {sorted(found)}"
    return next(iter(found.items()))


def function(resources: dict[str, Any], name: str) -> tuple[str, dict[str, Any]]:
    """(logical id, properties) of the function whose Handler is the contract's `name`."""
    return one(
        {
            key: value["Properties"]
            for key, value in of_type(resources, "AWS::Lambda::Function").items()
            if value["Properties"]["Handler"] == HANDLERS[name]
        }
    )


def role_of(function_props: dict[str, Any]) -> str:
    role: str = function_props["Role"]["Fn::GetAtt"][0]
    return role


def statements_of_role(resources: dict[str, Any], role: str) -> Iterator[dict[str, Any]]:
    for policy in of_type(resources, "AWS::IAM::Policy").values():
        props = policy["Properties"]
        if {"Ref": role} in props["Roles"]:
            yield from props["PolicyDocument"]["Statement"]


def actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def references(value: Any) -> set[str]:
    """Logical ids a template value points at through Ref or Fn::GetAtt."""
    found: set[str] = set()
    if isinstance(value, dict):
        if "Ref" in value:
            found.add(value["Ref"])
        if "Fn::GetAtt" in value:
            found.add(value["Fn::GetAtt"][0])
        for item in value.values():
            found |= references(item)
    elif isinstance(value, list):
        for item in value:
            found |= references(item)
    return found


def asset_dir(synth: Synth, name: str) -> Path:
    """The staged code asset of the function whose Handler is the contract's `name`."""
    _, props = function(synth.template.to_json()["Resources"], name)
    key: str = props["Code"]["S3Key"]
    return synth.outdir / f"asset.{key.removesuffix('.zip')}"


def installed(asset: Path) -> dict[str, Any]:
    """Distribution name -> metadata of every package pip put in an asset."""
    from email.parser import Parser

    from packaging.utils import canonicalize_name

    found = {}
    for info in asset.glob("*.dist-info"):
        metadata = Parser().parsestr((info / "METADATA").read_text())
        found[canonicalize_name(metadata["Name"])] = metadata
    return found
