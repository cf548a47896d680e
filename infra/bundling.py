"""Lambda code assets built without Docker: one per function, each the part of the
platform lock its code imports (infra.assets), installed by pip, plus `handler/`.

PythonFunction's bundling runs in a container; this one runs pip on the host with
`--platform manylinux2014_<arch> --only-binary=:all:`, which downloads the same wheels the
container would build against, so `cdk synth` works on a machine without Docker. The
lock's wheels are downloaded once per synth (`LockedWheels`, hash-checked); each function
then installs its subset of the lock from them (`--require-hashes --no-deps --no-index`).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any, cast

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_
from packaging.utils import NormalizedName, canonicalize_name

from infra.assets import (
    AWS_SERVICES,
    UNUSED_PATHS,
    FunctionAsset,
    closure,
    lock_subset,
    trim,
    wheel_metadata,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Only the runtime package goes into the asset: tests, infra and local stay out.
PACKAGE = "handler"
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache")


class BundlingError(RuntimeError):
    """pip could not produce a Lambda asset (the message carries pip's output), or the
    lock does not match pyproject.toml."""


def _package_files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            yield path


def _pip(*args: str) -> None:
    env = {**os.environ, "PIP_NO_INPUT": "1"}
    command = [sys.executable, "-m", "pip", *args]
    result = subprocess.run(  # noqa: S603 - fixed argv, no shell
        command, capture_output=True, text=True, env=env, check=False
    )
    if result.returncode != 0:
        raise BundlingError(f"pip could not build the Lambda asset:\n{result.stderr}")


class LockedWheels:
    """The lock's wheels for one platform, downloaded on first use (every hash checked)
    into a directory that lives as long as this object, and their metadata."""

    def __init__(self, *, lock_file: Path, python_version: str, platform: str) -> None:
        self.lock_file = lock_file
        self.python_version = python_version
        self.platform = platform
        self._directory: tempfile.TemporaryDirectory[str] | None = None
        self._metadata: dict[NormalizedName, Message] = {}

    def pip_options(self) -> list[str]:
        return [
            "--platform",
            self.platform,
            "--only-binary=:all:",
            "--implementation",
            "cp",
            "--python-version",
            self.python_version,
            # The lock is the whole closure, resolved by uv for Lambda's Python: pip must not
            # resolve again (it would evaluate markers for this host's interpreter).
            "--require-hashes",
            "--no-deps",
        ]

    def directory(self) -> Path:
        if self._directory is None:
            directory = tempfile.TemporaryDirectory(prefix="lambda-wheels-")
            _pip(
                *("download", "--quiet", "--disable-pip-version-check", "--dest"),
                directory.name,
                *self.pip_options(),
                *("--requirement", str(self.lock_file)),
            )
            self._directory = directory
        return Path(self._directory.name)

    def metadata(self) -> dict[NormalizedName, Message]:
        if not self._metadata:
            for wheel in sorted(self.directory().glob("*.whl")):
                found = wheel_metadata(wheel)
                self._metadata[canonicalize_name(found["Name"])] = found
        return self._metadata


@jsii.implements(ILocalBundling)
class PipBundling:
    """Builds one function's asset directory on the host (CDK calls `try_bundle` before
    any Docker)."""

    def __init__(
        self,
        *,
        asset: FunctionAsset,
        wheels: LockedWheels,
        install: bool = True,
        project_root: Path = PROJECT_ROOT,
    ) -> None:
        self.asset = asset
        self.wheels = wheels
        self.install = install
        self.project_root = project_root

    def distributions(self) -> set[NormalizedName]:
        """What this function's asset installs: its requirements' closure in the lock."""
        return closure(self.asset.requirements, self.wheels.metadata())

    def pip_command(self, target: str, requirements: Path) -> list[str]:
        return [
            *("install", "--quiet", "--disable-pip-version-check"),
            # Bytecode compiled by the host's Python would be for the wrong version.
            "--no-compile",
            *("--no-index", "--find-links", str(self.wheels.directory())),
            *("--target", target),
            *self.wheels.pip_options(),
            *("--requirement", str(requirements)),
        ]

    def asset_hash(self) -> str:
        """Changes exactly when the asset would: the lock's content, the function's
        requirements, the trimming, the platform options, or handler/ files (paths are
        relative: the hash is the same in any checkout)."""
        digest = hashlib.sha256()
        for part in (
            self.wheels.pip_options(),
            [str(self.install)],
            self.asset.requirements,
            self.asset.unused,
            AWS_SERVICES,
            UNUSED_PATHS,
        ):
            digest.update("\0".join(part).encode() + b"\1")
        digest.update(self.wheels.lock_file.read_bytes())
        root = self.project_root / PACKAGE
        for path in _package_files(root):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()

    def try_bundle(self, output_dir: str, options: Any = None) -> bool:
        if self.install:
            self._pip_install(output_dir)
            trim(Path(output_dir), self.asset.unused)
        shutil.copytree(self.project_root / PACKAGE, Path(output_dir) / PACKAGE, ignore=SKIP)
        for script in (Path(output_dir) / PACKAGE).glob("*.sh"):
            script.chmod(0o755)  # Lambda Web Adapter executes the bootstrap script directly
        # Console scripts carry this host's interpreter path; nothing on Lambda uses them.
        shutil.rmtree(Path(output_dir) / "bin", ignore_errors=True)
        return True

    def _pip_install(self, output_dir: str) -> None:
        subset = lock_subset(self.wheels.lock_file.read_text(), self.distributions())
        with tempfile.TemporaryDirectory(prefix=f"lambda-{self.asset.name}-") as scratch:
            requirements = Path(scratch) / "requirements.txt"
            requirements.write_text(subset)
            _pip(*self.pip_command(output_dir, requirements))


def lambda_code(*, bundling: PipBundling, runtime: lambda_.Runtime) -> lambda_.Code:
    """One function's asset; CDK reuses the bundle while its hash is unchanged."""
    return lambda_.Code.from_asset(
        str(bundling.project_root),
        asset_hash=bundling.asset_hash(),
        asset_hash_type=AssetHashType.CUSTOM,
        bundling=BundlingOptions(
            # Never pulled: local bundling always succeeds or raises BundlingError.
            image=DockerImage.from_registry(runtime.bundling_image.image),
            # jsii hands the options over as one positional struct, not the keyword
            # arguments the generated Protocol declares.
            local=cast(ILocalBundling, bundling),
        ),
    )
