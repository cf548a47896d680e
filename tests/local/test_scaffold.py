"""`python -m local new resource NAME`, run as docs/building-a-resource.md says, in a
throwaway copy of this repository: the resource it writes passes its own tests, ruff and
mypy there, and the layout and docs rules still hold. A name that is taken is refused
with one line and nothing written."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.support.processes import PYTHON, ROOT, child_env

GUIDE = ROOT / "docs" / "building-a-resource.md"


def the_guides_command() -> list[str]:
    """The command the guide's "Start your own API" section says to run."""
    text = GUIDE.read_text(encoding="utf-8")
    section = text.split("## Start your own API", 1)[1].split("\n## ", 1)[0]
    (command,) = re.findall(r"^python -m local new resource (\w+)$", section, re.M)
    return ["-m", "local", "new", "resource", command]


def copy_of_the_repository(target: Path) -> Path:
    """Every file git would commit (tracked, or new and not ignored), as it is now."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (entry.decode() for entry in listed)):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    (target / ".venv").symlink_to((ROOT / ".venv").resolve(), target_is_directory=True)
    return target


def run(copy: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, *args],
        cwd=copy,
        env=child_env(PYTHONPATH=str(copy)),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def scaffolded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    copy = copy_of_the_repository(tmp_path_factory.mktemp("repository"))
    done = run(copy, *the_guides_command())
    assert done.returncode == 0, done.stdout + done.stderr
    return copy, done.stdout


def test_the_guide_names_the_command_and_the_files_it_writes() -> None:
    assert the_guides_command()[-1] == "orders"
    section = GUIDE.read_text(encoding="utf-8").split("## Start your own API", 1)[1]
    for path in ("tables.toml", "handler/app.py", "handler/composition/__init__.py"):
        assert f"`{path}`" in section


def test_it_writes_the_resource_its_table_and_its_tests(scaffolded: tuple[Path, str]) -> None:
    copy, printed = scaffolded
    for path in (
        "handler/api/orders/order_routes.py",
        "handler/api/orders/dynamodb_orders.py",
        "handler/composition/order_backends.py",
        "tests/api/orders/test_order_store.py",
    ):
        assert path in printed.splitlines()
        assert (copy / path).is_file()
    assert 'orders = { variable = "ORDERS_TABLE" }' in (copy / "tables.toml").read_text()


@pytest.mark.timeout(900)
def test_its_tests_and_the_rules_pass_in_the_copy(scaffolded: tuple[Path, str]) -> None:
    copy, _ = scaffolded
    done = run(
        copy,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "tests/api/orders",
        "tests/test_layout.py",
        "tests/test_docs.py",
        "tests/test_settings.py",
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert " passed" in done.stdout


@pytest.mark.timeout(900)  # mypy starts cold in the copy
def test_the_generated_code_is_lint_and_type_clean(scaffolded: tuple[Path, str]) -> None:
    copy, printed = scaffolded
    written = [line for line in printed.splitlines() if line.endswith(".py")]
    for args in (["check", *written], ["format", "--check", *written]):
        done = run(copy, "-m", "ruff", *args)
        assert done.returncode == 0, done.stdout + done.stderr
    done = run(
        copy,
        "-m",
        "mypy",
        "handler/api/orders",
        "handler/composition",
        "handler/app.py",
        "handler/demo_state.py",
        "tests/api/orders",
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_second_run_is_refused_and_changes_nothing(scaffolded: tuple[Path, str]) -> None:
    copy, _ = scaffolded
    before = (copy / "handler/app.py").read_text()
    done = run(copy, "-m", "local", "new", "resource", "orders")
    assert done.returncode == 2
    assert done.stderr.strip() == "python -m local new: handler/api/orders exists already"
    assert (copy / "handler/app.py").read_text() == before


@pytest.mark.parametrize("name", ["Orders", "x", "class", "chats"])
def test_a_name_that_cannot_be_used_is_refused(scaffolded: tuple[Path, str], name: str) -> None:
    copy, _ = scaffolded
    done = run(copy, "-m", "local", "new", "resource", name)
    assert done.returncode == 2, done.stdout
    assert done.stderr.startswith("python -m local new: ")
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.timeout(300)
def test_the_emulator_serves_the_new_resource_from_its_table(
    scaffolded: tuple[Path, str], tmp_path: Path
) -> None:
    """What crashed before tables.toml: `python -m local aws` had no value for the new
    table's variable. Now it creates the table in moto and the function reads it."""
    copy, _ = scaffolded
    outputs_file = tmp_path / "out.json"
    process = subprocess.Popen(
        [PYTHON, "-m", "local", "aws", "--port", "0", "--outputs-file", str(outputs_file)],
        cwd=copy,
        env=child_env(drop=("AWS_", "REDIS_"), PYTHONPATH=str(copy)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not outputs_file.exists():
            assert process.poll() is None, "the emulator exited"
            assert time.monotonic() < deadline, "the emulator did not start"
            time.sleep(0.2)
        outputs = json.loads(outputs_file.read_text())["FastapiServerless-dev"]
        assert outputs["OrdersTableName"] == "FastapiServerless-dev-orders"
        listed = httpx.get(f"{outputs['HttpUrl']}api/v1/orders", timeout=60)
        assert listed.json() == {"orders": [], "next_after": None}
        anonymous = httpx.post(f"{outputs['HttpUrl']}api/v1/orders", json={"name": "x"})
        assert anonymous.status_code == 401
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
