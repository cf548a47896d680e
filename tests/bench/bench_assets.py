"""Lambda asset sizes, zipped: each function's asset as `cdk synth` bundles it (the lock's
arm64 wheels for Lambda's Python, infra.assets), against the goals, and the one asset all
four functions shared before (the whole lock plus handler/, nothing trimmed)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from tests.bench.common import figure, record
from tests.support.asset_goals import ZIP_GOALS

PANEL = "Lambda asset, zipped (MB)"


def zipped_bytes(directory: Path) -> int:
    with tempfile.TemporaryDirectory() as scratch:
        archive = Path(scratch) / "asset.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
            for path in sorted(directory.rglob("*")):
                zipped.write(path, path.relative_to(directory))
        return archive.stat().st_size


def _one_asset_for_all(wheels: object, root: Path) -> int:
    """The asset before issue 12: every locked package, untrimmed, plus handler/."""
    from infra.bundling import PROJECT_ROOT, LockedWheels

    assert isinstance(wheels, LockedWheels)
    target = root / "all"
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-compile", "--no-index"]
    command += ["--find-links", str(wheels.directory()), "--target", str(target)]
    command += [*wheels.pip_options(), "--requirement", str(wheels.lock_file)]
    subprocess.run(command, check=True, capture_output=True)
    shutil.copytree(PROJECT_ROOT / "handler", target / "handler")
    shutil.rmtree(target / "bin", ignore_errors=True)
    return zipped_bytes(target)


def main() -> None:
    from infra.assets import FUNCTIONS
    from infra.bundling import LockedWheels, PipBundling
    from infra.lock import LOCK_FILE, PIP_PLATFORM, PYTHON_VERSION

    wheels = LockedWheels(lock_file=LOCK_FILE, python_version=PYTHON_VERSION, platform=PIP_PLATFORM)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        for name, asset in FUNCTIONS.items():
            PipBundling(asset=asset, wheels=wheels).try_bundle(str(root / name))
            size = zipped_bytes(root / name) / 1e6
            figure(f"{name} function", size, "MB", f"goal <= {ZIP_GOALS[name] / 1e6:g} MB")
            record(PANEL, f"{name} function", size)
        before = _one_asset_for_all(wheels, root) / 1e6
        figure("one asset for all four (before)", before, "MB")
        record(PANEL, "one asset for all (before)", before)


if __name__ == "__main__":
    main()
