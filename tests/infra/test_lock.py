"""The Lambda platform lock agrees with pyproject.toml: every runtime dependency (and the
`server` extra) is pinned, with hashes, at a version pyproject's bounds allow. No network,
no node: `infra.lock` never imports aws_cdk."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.lock import (
    EXTRAS,
    LOCK_FILE,
    PYPROJECT,
    LockError,
    check_lock,
    lock_problems,
    read_lock,
    runtime_requirements,
)

HASH = "--hash=sha256:" + "0" * 64


@pytest.fixture(autouse=True)
def _node() -> None:
    """Overrides the directory's node gate: nothing here starts jsii."""


def test_committed_lock_satisfies_every_runtime_requirement() -> None:
    assert lock_problems() == []


def test_every_locked_package_is_pinned_with_hashes() -> None:
    locked = read_lock(LOCK_FILE.read_text())
    assert {"fastapi", "mangum", "pydantic-core", "uvicorn", "uvloop"} <= set(locked)
    assert all(entry.hashes >= 1 for entry in locked.values())


def test_requirements_are_pyprojects_dependencies_plus_the_server_extra() -> None:
    requirements = runtime_requirements(PYPROJECT, EXTRAS)
    assert any(r.startswith("fastapi") for r in requirements)
    assert any(r.startswith("uvicorn") for r in requirements)
    assert not any(r.startswith(("pytest", "aws-cdk-lib", "moto", "uv>")) for r in requirements)


def test_unknown_extra_is_a_clear_error() -> None:
    with pytest.raises(LockError, match="no optional extra 'nope'"):
        runtime_requirements(PYPROJECT, extras=["nope"])


def test_a_missing_package_and_a_pin_below_its_bound_are_both_named() -> None:
    locked = read_lock(f"fastapi==0.100.0 \\\n    {HASH}\n    # via project\n")
    problems = check_lock(["fastapi>=0.135", "Mangum>=0.19"], locked)
    assert problems == [
        "fastapi==0.100.0 does not satisfy 'fastapi>=0.135'",
        "Mangum is not in the lock",
    ]


def test_names_compare_normalized_and_foreign_platform_requirements_are_skipped() -> None:
    locked = read_lock(f"pydantic-core==2.50.0 {HASH}\n")
    requirements = ["Pydantic_Core>=2", "pywin32>=300; sys_platform == 'win32'"]
    assert check_lock(requirements, locked) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("fastapi>=0.135 " + HASH, "not pinned with =="),
        ("fastapi==0.135.0\n", "no sha256 hash"),
        ("-e . " + HASH, "not a requirement"),
    ],
)
def test_a_lock_entry_that_is_not_a_hashed_pin_is_refused(text: str, message: str) -> None:
    with pytest.raises(LockError, match=message):
        read_lock(text)


def test_lock_problems_reads_the_given_files(tmp_path: Path) -> None:
    lock = tmp_path / "lock.txt"
    lock.write_text(LOCK_FILE.read_text().replace("mangum==", "not-mangum=="))
    assert lock_problems(PYPROJECT, lock) == ["mangum is not in the lock"]


def test_every_runtime_dependency_is_in_some_functions_asset(tmp_path: Path) -> None:
    from infra.assets import unclaimed

    assert unclaimed(PYPROJECT) == []
    pyproject = tmp_path / "pyproject.toml"
    text = PYPROJECT.read_text().replace('"pydantic>=2.9"', '"pydantic[email]>=2.9"', 1)
    pyproject.write_text(
        text.replace("dependencies = [\n", 'dependencies = [\n    "new-lib",\n', 1)
    )
    # A new library, and an extra no function asks for, each need a line in infra/assets.py.
    assert unclaimed(pyproject) == ["new-lib", "pydantic[email]"]
