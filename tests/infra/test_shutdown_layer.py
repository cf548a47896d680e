"""The graceful-shutdown layer: built from this repository, attached to the HTTP function
(the one with a SIGTERM hook), and its asset carries the extension as an executable."""

from __future__ import annotations

from typing import Any

from tests.infra.helpers import Synth, function, of_type, one


def _layer(resources: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    key, layer = one(of_type(resources, "AWS::Lambda::LayerVersion"))
    return key, layer["Properties"]


def test_http_function_carries_the_graceful_shutdown_layer(resources: dict[str, Any]) -> None:
    layer_id, layer = _layer(resources)
    _, http = function(resources, "http")
    assert http["Layers"] == [{"Ref": layer_id}]
    assert layer["CompatibleArchitectures"] == ["arm64"]
    assert layer["CompatibleRuntimes"] == [http["Runtime"]]


def test_no_other_function_carries_it(resources: dict[str, Any]) -> None:
    for name in ("worker", "ws"):
        _, props = function(resources, name)
        assert "Layers" not in props, name
    _, stream = function(resources, "stream")
    (adapter,) = stream["Layers"]  # Lambda Web Adapter: already an external extension
    assert "LambdaAdapterLayerArm64" in adapter["Fn::Join"][1][-1]


def test_staged_layer_asset_holds_the_executable_extension(stub: Synth) -> None:
    staged = [
        path for path in stub.outdir.glob("asset.*/extensions/graceful-shutdown") if path.is_file()
    ]
    (extension,) = staged
    assert sorted(p.name for p in extension.parent.parent.iterdir()) == ["extensions"]
    # Lambda runs it, and refuses a layer whose files are not readable by all.
    assert extension.stat().st_mode & 0o555 == 0o555
    assert extension.read_text().startswith("#!/usr/bin/env python3\n")
