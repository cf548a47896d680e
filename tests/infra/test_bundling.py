"""Bundling without Docker: one asset per function, each the part of the platform lock its
code imports, installed by pip for Lambda's arm64 Python next to handler/; tests, infra
and local stay out. (That each asset holds what its entry imports: test_asset_imports.)"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.infra.helpers import Synth, asset_dir, installed
from tests.support.asset_goals import ZIP_GOALS

ROOT = Path(__file__).resolve().parents[2]
# strawberry is not one here: the worker and the WebSocket function execute subscriptions
# with it, its web integrations trimmed (infra.assets).
WEB_FRAMEWORK = ("fastapi", "starlette", "limits", "mangum")
SERVERS = ("uvicorn", "uvloop", "httptools", "watchfiles", "websockets")


def _zipped_size(directory: Path, archive: Path) -> int:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted(directory.rglob("*")):
            zipped.write(path, path.relative_to(directory))
    return archive.stat().st_size


def test_each_function_has_its_own_asset_for_the_runtime_python(variant: Synth) -> None:
    from infra.lock import PYTHON_VERSION

    http, stream = asset_dir(variant, "http"), asset_dir(variant, "stream")
    # The WebSocket function checks bearer tokens on $connect: the worker does not.
    assert len({http, stream, asset_dir(variant, "worker"), asset_dir(variant, "ws")}) == 4
    (core,) = (http / "pydantic_core").glob("_pydantic_core.*.so")
    abi = PYTHON_VERSION.replace(".", "")
    assert core.name.endswith(f"cpython-{abi}-aarch64-linux-gnu.so")


@pytest.mark.parametrize("name", ["http", "worker", "ws", "stream"])
def test_asset_zips_within_its_goal(variant: Synth, name: str, tmp_path: Path) -> None:
    size = _zipped_size(asset_dir(variant, name), tmp_path / "asset.zip")
    print(f"zipped {name} asset: {size / 1e6:.2f} MB")
    assert size <= ZIP_GOALS[name]


def test_http_asset_has_no_server(variant: Synth) -> None:
    assert not set(SERVERS) & set(installed(asset_dir(variant, "http")))


def test_worker_and_websocket_assets_have_no_web_framework(variant: Synth) -> None:
    held = set(installed(asset_dir(variant, "worker")))
    assert not set(WEB_FRAMEWORK) & held
    assert {"boto3", "aws-lambda-powertools", "pydantic-settings"} <= held


def test_stream_asset_has_uvicorn_without_development_parts(variant: Synth) -> None:
    held = set(installed(asset_dir(variant, "stream")))
    assert {"uvicorn", "fastapi", "h11"} <= held
    assert not {"watchfiles", "websockets", "pyyaml", "uvloop", "httptools", "boto3"} & held


def test_botocore_keeps_only_the_models_of_services_the_code_calls(variant: Synth) -> None:
    from infra.assets import AWS_SERVICES

    asset = asset_dir(variant, "worker")
    models = {p.name for p in (asset / "botocore" / "data").iterdir() if p.is_dir()}
    assert models == set(AWS_SERVICES)
    # The files every client needs stay, and RECORD lists only what is there.
    assert (asset / "botocore" / "data" / "endpoints.json").is_file()
    (record,) = asset.glob("botocore-*.dist-info/RECORD")
    paths = [line.split(",", 1)[0] for line in record.read_text().splitlines()]
    assert all((asset / path).exists() for path in paths)
    assert any(path.startswith("botocore/data/sqs/") for path in paths)


def test_every_asset_holds_exactly_the_locked_versions_of_its_closure(variant: Synth) -> None:
    from infra.lock import LOCK_FILE, read_lock

    locked = read_lock(LOCK_FILE.read_text())
    for name in ("http", "worker", "stream"):
        held = installed(asset_dir(variant, name))
        assert held
        assert {n: meta["Version"] for n, meta in held.items()} == {
            n: str(locked[n].version) for n in held
        }


def test_every_dependency_of_an_asset_is_in_that_asset(variant: Synth) -> None:
    """Each installed package's requirements (extras included), evaluated for Lambda,
    are installed too (pip installs the subset with --no-deps)."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    from infra.assets import FUNCTIONS
    from infra.lock import TARGET_ENVIRONMENT

    for name in ("http", "worker", "stream"):
        held = installed(asset_dir(variant, name))
        pending = [Requirement(spec) for spec in FUNCTIONS[name].requirements]
        seen: set[tuple[str, str]] = set()
        missing = []
        while pending:
            requirement = pending.pop()
            dist = canonicalize_name(requirement.name)
            if dist not in held:
                missing.append(str(requirement))
                continue
            for extra in ("", *requirement.extras):
                if (dist, extra) not in seen:
                    seen.add((dist, extra))
                    environment = {**TARGET_ENVIRONMENT, "extra": extra}
                    for spec in held[dist].get_all("Requires-Dist") or []:
                        child = Requirement(spec)
                        if not child.marker or child.marker.evaluate(environment):
                            pending.append(child)
        assert missing == [], name


def test_asset_leaves_out_tests_infra_local_and_bytecode(variant: Synth) -> None:
    asset = asset_dir(variant, "http")
    for name in ("tests", "infra", "local", "bin", "cdk.json", "pyproject.toml"):
        assert not (asset / name).exists(), name
    assert not list((asset / "handler").rglob("__pycache__"))


def test_bootstrap_script_is_executable_in_the_asset(variant: Synth) -> None:
    script = asset_dir(variant, "stream") / "handler" / "run_stream.sh"
    assert script.stat().st_mode & 0o111
    text = script.read_text()
    assert "uvicorn --factory handler.app:create_stream_app" in text
    assert "--loop asyncio --http h11" in text  # what the asset holds, named


def test_stub_assets_are_handler_only(stub: Synth) -> None:
    for name in ("http", "worker", "stream"):
        assert sorted(p.name for p in asset_dir(stub, name).iterdir()) == ["handler"]


def _bundling(lock: Path, **kwargs: Any) -> Any:
    from infra.assets import FUNCTIONS
    from infra.bundling import LockedWheels, PipBundling

    wheels = LockedWheels(lock_file=lock, python_version="3.14", platform="manylinux2014_aarch64")
    return PipBundling(asset=FUNCTIONS["worker"], wheels=wheels, **kwargs)


def test_pip_failure_raises_with_pips_message(tmp_path: Path) -> None:
    from infra.bundling import BundlingError

    lock = tmp_path / "lock.txt"
    lock.write_text("this-package-does-not-exist-anywhere==0.0.0 --hash=sha256:" + "0" * 64)
    with pytest.raises(BundlingError, match="pip could not build"):
        _bundling(lock).try_bundle(str(tmp_path / "out"))


def test_asset_hash_follows_the_lock_content_not_its_path(tmp_path: Path) -> None:
    def bundling(folder: str, content: str) -> Any:
        lock = tmp_path / folder / "requirements-lambda.txt"
        lock.parent.mkdir(exist_ok=True)
        lock.write_text(content)
        return _bundling(lock)

    pinned = "fastapi==0.120.0 --hash=sha256:" + "a" * 64
    assert bundling("a", pinned).asset_hash() == bundling("b", pinned).asset_hash()
    moved = pinned.replace("0.120.0", "0.120.1")
    assert bundling("a", pinned).asset_hash() != bundling("c", moved).asset_hash()


def test_asset_hash_differs_per_function() -> None:
    from infra.assets import FUNCTIONS
    from infra.bundling import LockedWheels, PipBundling
    from infra.lock import LOCK_FILE

    wheels = LockedWheels(
        lock_file=LOCK_FILE, python_version="3.14", platform="manylinux2014_aarch64"
    )
    hashes = {PipBundling(asset=asset, wheels=wheels).asset_hash() for asset in FUNCTIONS.values()}
    assert len(hashes) == len(FUNCTIONS)


def test_pip_installs_a_hashed_subset_of_the_lock_without_resolving(tmp_path: Path) -> None:
    from infra.lock import LOCK_FILE

    command = _bundling(LOCK_FILE).pip_command("out", tmp_path / "subset.txt")
    assert command[-2:] == ["--requirement", str(tmp_path / "subset.txt")]
    assert {"--require-hashes", "--no-deps", "--only-binary=:all:", "--no-index"} <= set(command)


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


def test_a_dependency_no_function_lists_stops_synth_with_the_fix(tmp_path: Path) -> None:
    from infra.bundling import BundlingError
    from infra.config import InfraConfig
    from infra.lock import LOCK_FILE, PYPROJECT
    from infra.stack import build_code

    pyproject = tmp_path / "pyproject.toml"
    # Locked (a dependency of boto3) but listed by no function.
    pyproject.write_text(
        PYPROJECT.read_text().replace(
            "dependencies = [\n", 'dependencies = [\n    "jmespath",\n', 1
        )
    )
    with pytest.raises(BundlingError, match=r"in no function's asset: jmespath .*infra/assets.py"):
        build_code(InfraConfig(bundle="stub"), pyproject=pyproject, lock_file=LOCK_FILE)
