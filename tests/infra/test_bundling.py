"""Bundling without Docker: pip installs the runtime dependencies for Lambda's arm64
platform next to handler/; tests, infra and local stay out of the asset."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tests.infra.helpers import Synth

ROOT = Path(__file__).resolve().parents[2]
ZIP_LIMIT = 50 * 1024 * 1024  # direct-upload limit; a margin under Lambda's 250 MB unzipped


def _asset_dir(synth: Synth) -> Path:
    (asset,) = [p for p in synth.outdir.glob("asset.*") if p.is_dir()]
    return asset


def test_real_asset_holds_arm64_wheels_for_the_runtime_python(variant: Synth) -> None:
    asset = _asset_dir(variant)
    assert (asset / "handler" / "lambda_http.py").is_file()
    for package in ("fastapi", "mangum", "aws_lambda_powertools", "redis", "uvicorn"):
        assert (asset / package).is_dir(), package
    (core,) = (asset / "pydantic_core").glob("_pydantic_core.*.so")
    assert core.name.endswith("cpython-312-aarch64-linux-gnu.so")


def test_asset_leaves_out_tests_infra_local_and_bytecode(variant: Synth) -> None:
    asset = _asset_dir(variant)
    for name in ("tests", "infra", "local", "bin", "cdk.json", "pyproject.toml"):
        assert not (asset / name).exists(), name
    assert not list((asset / "handler").rglob("__pycache__"))


def test_bootstrap_script_is_executable_in_the_asset(variant: Synth) -> None:
    script = _asset_dir(variant) / "handler" / "run_stream.sh"
    assert script.stat().st_mode & 0o111
    assert "uvicorn --factory handler.app:create_stream_app" in script.read_text()


def test_zipped_asset_fits_a_direct_upload(variant: Synth, tmp_path: Path) -> None:
    archive = tmp_path / "asset.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted(_asset_dir(variant).rglob("*")):
            zipped.write(path, path.relative_to(_asset_dir(variant)))
    size = archive.stat().st_size
    print(f"zipped asset: {size / 1024 / 1024:.1f} MiB")
    assert size < ZIP_LIMIT


def test_stub_asset_is_handler_only(stub: Synth) -> None:
    assert sorted(p.name for p in _asset_dir(stub).iterdir()) == ["handler"]


def test_requirements_come_from_pyproject_with_the_server_extra() -> None:
    from infra.bundling import runtime_requirements

    requirements = runtime_requirements(ROOT / "pyproject.toml", extras=["server"])
    assert any(r.startswith("fastapi") for r in requirements)
    assert any(r.startswith("uvicorn") for r in requirements)
    assert not any(r.startswith(("pytest", "aws-cdk-lib", "moto")) for r in requirements)


def test_unknown_extra_is_a_clear_error() -> None:
    from infra.bundling import BundlingError, runtime_requirements

    with pytest.raises(BundlingError, match="no optional extra 'nope'"):
        runtime_requirements(ROOT / "pyproject.toml", extras=["nope"])


def test_pip_failure_raises_with_pips_message(tmp_path: Path) -> None:
    from infra.bundling import BundlingError, PipBundling

    bundling = PipBundling(
        requirements=["this-package-does-not-exist-anywhere==0.0.0"],
        python_version="3.12",
        platform="manylinux2014_aarch64",
    )
    with pytest.raises(BundlingError, match="pip could not build"):
        bundling.try_bundle(str(tmp_path))


def test_asset_hash_changes_with_requirements() -> None:
    from infra.bundling import PipBundling

    def bundling(requirements: list[str]) -> PipBundling:
        return PipBundling(
            requirements=requirements, python_version="3.12", platform="manylinux2014_aarch64"
        )

    assert bundling(["fastapi"]).asset_hash() == bundling(["fastapi"]).asset_hash()
    assert bundling(["fastapi"]).asset_hash() != bundling(["fastapi>=1"]).asset_hash()
