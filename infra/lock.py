"""The Lambda platform lock (`infra/requirements-lambda.txt`): every runtime dependency
pinned, with hashes, for exactly the platform the functions run on.

`make lock` (`python -m infra.lock`) regenerates it with uv for CPython 3.14 on
manylinux2014 aarch64; the bundler installs it with `--require-hashes --no-deps`, so one
lock gives the same asset on every machine. pyproject.toml keeps lower bounds only: this
module checks that the lock still satisfies them. No aws_cdk import here (node-free).
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = PROJECT_ROOT / "pyproject.toml"
LOCK_FILE = PROJECT_ROOT / "infra" / "requirements-lambda.txt"
# The Lambda target; infra.functions pins RUNTIME and ARCHITECTURE to match.
PYTHON_VERSION = "3.14"
PIP_PLATFORM = "manylinux2014_aarch64"
UV_PLATFORM = "aarch64-manylinux2014"
# The `server` extra brings uvicorn, the streaming function's server.
EXTRAS = ("server",)
# Markers of pyproject requirements are evaluated for Lambda, not for this host.
TARGET_ENVIRONMENT = {
    "python_version": PYTHON_VERSION,
    "python_full_version": f"{PYTHON_VERSION}.0",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "aarch64",
    "os_name": "posix",
    "extra": "",
}


class LockError(RuntimeError):
    """pyproject.toml or the lock cannot be read as this module expects (named in the message)."""


@dataclass(frozen=True)
class Locked:
    version: Version
    hashes: int


def runtime_requirements(pyproject: Path, extras: Sequence[str] = ()) -> list[str]:
    """[project].dependencies plus the named optional extras, as requirement strings."""
    project = tomllib.loads(pyproject.read_text())["project"]
    requirements = list(project["dependencies"])
    optional = project.get("optional-dependencies", {})
    for extra in extras:
        if extra not in optional:
            raise LockError(f"pyproject.toml has no optional extra {extra!r}")
        requirements.extend(optional[extra])
    return requirements


def _logical_lines(text: str) -> Iterator[str]:
    """Each entry of a requirements file as one line (continuations joined, comments dropped)."""
    logical = ""
    for raw in [*text.splitlines(), ""]:
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if line.endswith("\\"):
            logical += " " + line[:-1]
            continue
        logical += " " + line
        if logical.strip():
            yield " ".join(logical.split())
        logical = ""


def read_lock(text: str) -> dict[NormalizedName, Locked]:
    """Parses a hashed requirements file: each entry `name==version` with its hashes."""
    entries: dict[NormalizedName, Locked] = {}
    for line in _logical_lines(text):
        name, locked = _entry(line.split())
        entries[name] = locked
    return entries


def lock_entries(text: str) -> dict[NormalizedName, str]:
    """Each locked entry as one requirements line, hashes included (a function's subset
    of the lock is some of these lines)."""
    read_lock(text)  # the same checks: pinned with ==, hashed
    return {
        canonicalize_name(Requirement(line.split()[0]).name): line for line in _logical_lines(text)
    }


def _entry(tokens: list[str]) -> tuple[NormalizedName, Locked]:
    spec = tokens[0]
    hashes = sum(1 for token in tokens[1:] if token.startswith("--hash=sha256:"))
    try:
        requirement = Requirement(spec)
    except InvalidRequirement as exc:
        raise LockError(f"lock entry {spec!r} is not a requirement: {exc}") from None
    pins = [s for s in requirement.specifier if s.operator == "=="]
    if len(pins) != 1 or len(requirement.specifier) != 1:
        raise LockError(f"lock entry {spec!r} is not pinned with ==")
    if hashes == 0:
        raise LockError(f"lock entry {spec!r} has no sha256 hash")
    return canonicalize_name(requirement.name), Locked(Version(pins[0].version), hashes)


def check_lock(requirements: Sequence[str], locked: Mapping[NormalizedName, Locked]) -> list[str]:
    """What the lock misses: a requirement (that applies on Lambda) absent from it, or
    pinned below or outside pyproject's bounds. Empty when the lock is consistent."""
    problems = []
    for spec in requirements:
        requirement = Requirement(spec)
        if requirement.marker and not requirement.marker.evaluate(TARGET_ENVIRONMENT):
            continue
        entry = locked.get(canonicalize_name(requirement.name))
        if entry is None:
            problems.append(f"{requirement.name} is not in the lock")
        elif not requirement.specifier.contains(entry.version, prereleases=True):
            problems.append(f"{requirement.name}=={entry.version} does not satisfy {spec!r}")
    return problems


def lock_problems(pyproject: Path = PYPROJECT, lock_file: Path = LOCK_FILE) -> list[str]:
    requirements = runtime_requirements(pyproject, EXTRAS)
    return check_lock(requirements, read_lock(lock_file.read_text()))


def compile_command(*extra_args: str) -> list[str]:
    """uv resolves for the Lambda platform whatever this host is; an existing lock's pins
    are kept unless `--upgrade` (or `--upgrade-package NAME`) is passed."""
    extras = [arg for extra in EXTRAS for arg in ("--extra", extra)]
    return [
        *(sys.executable, "-m", "uv", "pip", "compile", "pyproject.toml", *extras),
        *("--python-platform", UV_PLATFORM, "--python-version", PYTHON_VERSION),
        *("--generate-hashes", "--custom-compile-command", "make lock", "--quiet"),
        *("--output-file", str(LOCK_FILE.relative_to(PROJECT_ROOT)), *extra_args),
    ]


def main(argv: Sequence[str]) -> int:
    """uv prints its own error (no index reachable, an unsatisfiable bound) and fails."""
    compiled = subprocess.run(compile_command(*argv), cwd=PROJECT_ROOT, check=False)  # noqa: S603
    if compiled.returncode != 0:
        return compiled.returncode
    problems = lock_problems()
    for problem in problems:
        print(f"lock: {problem}", file=sys.stderr)  # noqa: T201
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
