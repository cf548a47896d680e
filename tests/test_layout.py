"""The layout rules of handler/ and local/, checked on the source itself
(docs/architecture.md).

Every import counts: module level, inside functions, and under `TYPE_CHECKING`.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HANDLER = ROOT / "handler"
LOCAL = ROOT / "local"
# The trees the general rules hold for: no import cycles, no private name imported
# across modules, no module over 300 lines, no two modules with one file name.
TREES = ("handler", "local")
MAX_LINES = 300
# Per-package vocabulary that may repeat: a package's errors and its types, and the
# settings (the app's `handler/settings.py` subclasses `handler/platform/settings.py`).
SHARED_NAMES = {"__init__.py", "errors.py", "types.py", "settings.py"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {
    module_name(path): path for tree in TREES for path in sorted((ROOT / tree).rglob("*.py"))
}


def imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) for every import statement in the file, wherever it is."""
    found: list[tuple[str, list[str]]] = []
    package = module_name(path) if path.name == "__init__.py" else module_name(path.parent)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.extend((alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this file's package
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            found.append((base, [alias.name for alias in node.names]))
    return found


def targets(module: str, names: list[str]) -> set[str]:
    """The files of the trees an import statement loads (a name may be a submodule)."""
    loaded = {f"{module}.{name}" for name in names if f"{module}.{name}" in MODULES}
    if module in MODULES and len(loaded) < len(names):
        loaded.add(module)
    return loaded


GRAPH = {
    name: {t for module, names in imports(path) for t in targets(module, names)} - {name}
    for name, path in MODULES.items()
}


def cycles() -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for successor in sorted(GRAPH[node]):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(GRAPH):
        if node not in index:
            visit(node)
    return found


def test_the_checker_sees_the_modules() -> None:
    assert "handler.platform.redis.guarded" in MODULES
    assert "handler.platform.redis.breaker" in GRAPH["handler.platform.redis.guarded"]
    assert "local.aws.sqs.records" in GRAPH["local.aws.sqs.event_source"]


def test_no_import_circle_between_files() -> None:
    assert cycles() == []


def test_no_private_name_is_imported_across_modules() -> None:
    private = [
        f"{module_name(path)} imports {module}.{name}"
        for path in MODULES.values()
        for module, names in imports(path)
        for name in names
        if name.startswith("_") and not name.startswith("__")
    ]
    assert private == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_is_over_300_lines(name: str) -> None:
    lines = len(MODULES[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{MODULES[name]} has {lines} lines: split it by concern"


@pytest.mark.parametrize("tree", TREES)
def test_no_two_modules_share_a_file_name(tree: str) -> None:
    names = Counter(
        path.name
        for name, path in MODULES.items()
        if name.split(".")[0] == tree and path.name not in SHARED_NAMES
    )
    assert [name for name, count in names.items() if count > 1] == []


def test_the_platform_never_imports_the_demo_api() -> None:
    offenders = [
        f"{name} -> {target}"
        for name, edges in GRAPH.items()
        if name.startswith("handler.platform")
        for target in edges
        if target.startswith("handler.api")
    ]
    assert offenders == []


def test_the_platform_imports_nothing_of_the_app() -> None:
    """The platform is a library its users keep: its factories take keyword arguments,
    and only the composition root reads the app's Settings."""
    offenders = sorted(
        f"{name} -> {target}"
        for name, edges in GRAPH.items()
        if name.startswith("handler.platform")
        for target in edges
        if not target.startswith("handler.platform")
    )
    assert offenders == []


def test_the_platform_never_reads_the_app_settings() -> None:
    """Importing every platform module loads nothing of handler outside the platform
    (not `handler.settings`, however it is reached), and no platform module names it in
    an import."""
    named = sorted(
        module_name(path)
        for name, path in MODULES.items()
        if name.startswith("handler.platform")
        for module, names in imports(path)
        if module == "handler.settings" or (module == "handler" and "settings" in names)
    )
    assert named == []
    platform = [name for name in MODULES if name.startswith("handler.platform")]
    script = (
        "import importlib, sys\n"
        f"for name in {platform!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.startswith('handler.')"
        " and not m.startswith('handler.platform')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "[]"


# The wiring: the composition root, the app, the app's typed view of its state and
# settings, the three Lambda entries, and `python -m local` (the local entry and its
# emulator). The API reads settings through SettingsDep.
SETTINGS_READERS = (
    "local.",
    "handler.composition",
    "handler.app",
    "handler.demo_state",
    "handler.lambda_http",
    "handler.lambda_worker",
    "handler.lambda_ws",
)


def test_only_the_wiring_imports_the_apps_settings() -> None:
    readers = sorted(name for name, edges in GRAPH.items() if "handler.settings" in edges)
    assert readers, "the checker sees handler.settings"
    assert [name for name in readers if not name.startswith(SETTINGS_READERS)] == []


@pytest.mark.parametrize(
    "package",
    [
        "aws",
        "runtime",
        "lambda_http",
        "http",
        "redis",
        "cache",
        "ratelimit",
        "tasks",
        "realtime",
        "pagination",
        "metrics",
        "auth",
    ],
)
def test_each_platform_package_says_what_it_is_and_exports_its_names(package: str) -> None:
    init = HANDLER / "platform" / package / "__init__.py"
    tree = ast.parse(init.read_text(encoding="utf-8"))
    assert ast.get_docstring(tree), f"{init} needs a docstring saying what the package is"
    exported = [
        node
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
    ]
    assert exported, f"{init} exports its public names in __all__"
