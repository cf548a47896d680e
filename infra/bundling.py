"""Lambda code asset built without Docker: the platform lock installed by pip, plus `handler/`.

PythonFunction's bundling runs in a container; this one runs pip on the host with
`--platform manylinux2014_<arch> --only-binary=:all:`, which downloads the same wheels the
container would build against, so `cdk synth` works on a machine without Docker. What it
installs is `infra/requirements-lambda.txt` (infra.lock): exact versions, hash-checked.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Only the runtime package goes into the asset: tests, infra and local stay out.
PACKAGE = "handler"
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache")


class BundlingError(RuntimeError):
    """pip could not produce the Lambda asset (the message carries pip's output), or the
    lock does not match pyproject.toml."""


def _package_files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            yield path


@jsii.implements(ILocalBundling)
class PipBundling:
    """Builds the asset directory on the host (CDK calls `try_bundle` before any Docker)."""

    def __init__(
        self,
        *,
        lock_file: Path,
        python_version: str,
        platform: str,
        install: bool = True,
        project_root: Path = PROJECT_ROOT,
    ) -> None:
        self.lock_file = lock_file
        self.python_version = python_version
        self.platform = platform
        self.install = install
        self.project_root = project_root

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

    def pip_command(self, target: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            # Bytecode compiled by the host's Python would be for the wrong version.
            "--no-compile",
            "--target",
            target,
            *self.pip_options(),
            "--requirement",
            str(self.lock_file),
        ]

    def asset_hash(self) -> str:
        """Changes exactly when the asset would: the lock's content, the platform options,
        or handler/ files (paths are relative: the hash is the same in any checkout)."""
        digest = hashlib.sha256()
        digest.update("\0".join(self.pip_options()).encode())
        digest.update(str(self.install).encode())
        digest.update(self.lock_file.read_bytes())
        root = self.project_root / PACKAGE
        for path in _package_files(root):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()

    def try_bundle(self, output_dir: str, options: Any = None) -> bool:
        if self.install:
            self._pip_install(output_dir)
        shutil.copytree(self.project_root / PACKAGE, Path(output_dir) / PACKAGE, ignore=SKIP)
        for script in (Path(output_dir) / PACKAGE).glob("*.sh"):
            script.chmod(0o755)  # Lambda Web Adapter executes the bootstrap script directly
        # Console scripts carry this host's interpreter path; nothing on Lambda uses them.
        shutil.rmtree(Path(output_dir) / "bin", ignore_errors=True)
        return True

    def _pip_install(self, output_dir: str) -> None:
        env = {**os.environ, "PIP_NO_INPUT": "1"}
        result = subprocess.run(  # noqa: S603 - fixed argv, no shell
            self.pip_command(output_dir), capture_output=True, text=True, env=env, check=False
        )
        if result.returncode != 0:
            raise BundlingError(f"pip could not build the Lambda asset:\n{result.stderr}")


def lambda_code(*, bundling: PipBundling) -> lambda_.Code:
    """The asset for every function; CDK reuses the bundle while its hash is unchanged."""
    return lambda_.Code.from_asset(
        str(bundling.project_root),
        asset_hash=bundling.asset_hash(),
        asset_hash_type=AssetHashType.CUSTOM,
        bundling=BundlingOptions(
            # Never pulled: local bundling always succeeds or raises BundlingError.
            image=DockerImage.from_registry("public.ecr.aws/sam/build-python3.12"),
            # jsii hands the options over as one positional struct, not the keyword
            # arguments the generated Protocol declares.
            local=cast(ILocalBundling, bundling),
        ),
    )
