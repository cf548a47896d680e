"""Bundling without Docker: pip installs the runtime dependencies for Lambda's arm64
platform next to handler/; tests, infra and local stay out of the asset."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.infra.helpers import Synth

ROOT = Path(__file__).resolve().parents[2]
ZIP_LIMIT = 50 * 1024 * 1024  # direct-upload limit; a margin under Lambda's 250 MB unzipped


def _asset_dir(synth: Synth) -> Path:
    """The code asset (the other staged asset is the graceful-shutdown layer)."""
    (asset,) = [p.parent for p in synth.outdir.glob("asset.*/handler") if p.is_dir()]
    return asset


def test_real_asset_holds_arm64_wheels_for_the_runtime_python(variant: Synth) -> None:
    asset = _asset_dir(variant)
    assert (asset / "handler" / "lambda_http.py").is_file()
    for package in ("fastapi", "mangum", "aws_lambda_powertools", "redis", "uvicorn"):
        assert (asset / package).is_dir(), package
    (core,) = (asset / "pydantic_core").glob("_pydantic_core.*.so")
    assert core.name.endswith("cpython-312-aarch64-linux-gnu.so")


def _installed(asset: Path) -> dict[str, Any]:
    """Distribution name -> metadata of every package pip put in the asset."""
    from email.parser import Parser

    from packaging.utils import canonicalize_name

    found = {}
    for info in asset.glob("*.dist-info"):
        metadata = Parser().parsestr((info / "METADATA").read_text())
        found[canonicalize_name(metadata["Name"])] = metadata
    return found


def test_real_asset_holds_exactly_the_locked_versions(variant: Synth) -> None:
    from infra.lock import LOCK_FILE, read_lock

    installed = _installed(_asset_dir(variant))
    locked = read_lock(LOCK_FILE.read_text())
    assert {name: meta["Version"] for name, meta in installed.items()} == {
        name: str(entry.version) for name, entry in locked.items()
    }


def test_every_dependency_of_the_asset_is_in_the_asset(variant: Synth) -> None:
    """The lock is the whole closure for Lambda's Python (pip installs it with --no-deps):
    each installed package's requirements, extras included, evaluated for Lambda."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    from infra.lock import EXTRAS, PYPROJECT, TARGET_ENVIRONMENT, runtime_requirements

    installed = _installed(_asset_dir(variant))
    pending = [Requirement(spec) for spec in runtime_requirements(PYPROJECT, EXTRAS)]
    seen: set[tuple[str, str]] = set()
    missing = []
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        if name not in installed:
            missing.append(str(requirement))
            continue
        for extra in ("", *requirement.extras):
            if (name, extra) in seen:
                continue
            seen.add((name, extra))
            environment = {**TARGET_ENVIRONMENT, "extra": extra}
            for spec in installed[name].get_all("Requires-Dist") or []:
                child = Requirement(spec)
                if not child.marker or child.marker.evaluate(environment):
                    pending.append(child)
    assert missing == []
    assert ("uvicorn", "standard") in seen


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


def test_pip_failure_raises_with_pips_message(tmp_path: Path) -> None:
    from infra.bundling import BundlingError, PipBundling

    lock = tmp_path / "lock.txt"
    lock.write_text("this-package-does-not-exist-anywhere==0.0.0 --hash=sha256:" + "0" * 64)
    bundling = PipBundling(lock_file=lock, python_version="3.12", platform="manylinux2014_aarch64")
    with pytest.raises(BundlingError, match="pip could not build"):
        bundling.try_bundle(str(tmp_path / "out"))


def test_asset_hash_follows_the_lock_content_not_its_path(tmp_path: Path) -> None:
    from infra.bundling import PipBundling

    def bundling(folder: str, content: str) -> PipBundling:
        lock = tmp_path / folder / "requirements-lambda.txt"
        lock.parent.mkdir(exist_ok=True)
        lock.write_text(content)
        return PipBundling(lock_file=lock, python_version="3.12", platform="manylinux2014_aarch64")

    pinned = "fastapi==0.120.0 --hash=sha256:" + "a" * 64
    assert bundling("a", pinned).asset_hash() == bundling("b", pinned).asset_hash()
    moved = pinned.replace("0.120.0", "0.120.1")
    assert bundling("a", pinned).asset_hash() != bundling("c", moved).asset_hash()


def test_pip_installs_the_lock_with_hashes_and_no_resolution() -> None:
    from infra.bundling import PipBundling
    from infra.lock import LOCK_FILE

    command = PipBundling(
        lock_file=LOCK_FILE, python_version="3.12", platform="manylinux2014_aarch64"
    ).pip_command("out")
    assert command[-2:] == ["--requirement", str(LOCK_FILE)]
    assert {"--require-hashes", "--no-deps", "--only-binary=:all:"} <= set(command)


def test_a_stale_lock_stops_synth_with_the_fix(tmp_path: Path) -> None:
    from infra.bundling import BundlingError
    from infra.config import InfraConfig
    from infra.lock import LOCK_FILE, PYPROJECT
    from infra.stack import build_code

    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        PYPROJECT.read_text().replace(
            "dependencies = [\n", 'dependencies = [\n    "not-locked-yet>=1",\n', 1
        )
    )
    with pytest.raises(BundlingError, match=r"run `make lock`.*not-locked-yet is not in the lock"):
        build_code(InfraConfig(bundle="stub"), pyproject=pyproject, lock_file=LOCK_FILE)
