"""`python -m local new resource NAME`: a small stored resource (create, get, list), its
table, its wiring and its tests, in one command.

It writes the resource's package (`handler/api/NAME/`), its composition module, its tests,
and adds one line to each of: tables.toml (the table, which infra/ and the emulator
create), handler/settings.py (the variable naming it), handler/demo_state.py (the store
in the app's state, two lines), handler/composition/__init__.py (built in the lifespan,
two lines), handler/app.py (the router) and docs/configuration.md. Every
change is worked out before anything is written: a name already taken, or a file whose
anchor line is gone, stops it with one line and nothing changed.
"""

from __future__ import annotations

import keyword
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent / "templates"
NAME = re.compile(r"^[a-z][a-z0-9]{1,30}$")


class ScaffoldError(Exception):
    """The resource cannot be written as asked; the message is one line for the user."""


@dataclass(frozen=True)
class Names:
    """`orders` -> item `order`, `Order`, `Orders`, `ORDER`, `ORDERS_TABLE`."""

    name: str

    @property
    def item(self) -> str:
        return self.name[:-1] if self.name.endswith("s") and len(self.name) > 2 else self.name

    @property
    def tokens(self) -> dict[str, str]:
        item = self.item
        return {
            "@name@": self.name,
            "@item@": item,
            "@Name@": self.name.capitalize(),
            "@Item@": item.capitalize(),
            "@ITEM@": item.upper(),
            "@VARIABLE@": self.variable,
            "@article@": "an" if item[0] in "aeiou" else "a",
        }

    @property
    def variable(self) -> str:
        return f"{self.name.upper()}_TABLE"

    def fill(self, template: str) -> str:
        text = (TEMPLATES / template).read_text(encoding="utf-8")
        for token, value in self.tokens.items():
            text = text.replace(token, value)
        return text


def new_files(names: Names) -> dict[str, str]:
    """Path (relative to the root) -> content of every file the resource adds."""
    n, i = names.name, names.item
    package = f"handler/api/{n}"
    return {
        f"{package}/__init__.py": names.fill("package.py.tmpl"),
        f"{package}/errors.py": names.fill("errors.py.tmpl"),
        f"{package}/{i}_models.py": names.fill("models.py.tmpl"),
        f"{package}/{i}_store.py": names.fill("store.py.tmpl"),
        f"{package}/memory_{n}.py": names.fill("memory.py.tmpl"),
        f"{package}/dynamodb_{n}.py": names.fill("dynamodb.py.tmpl"),
        f"{package}/{i}_routes.py": names.fill("routes.py.tmpl"),
        f"handler/composition/{i}_backends.py": names.fill("backends.py.tmpl"),
        f"tests/api/{n}/__init__.py": "",
        f"tests/api/{n}/test_{i}_store.py": names.fill("test_store.py.tmpl"),
        f"tests/api/{n}/test_{i}_routes.py": names.fill("test_routes.py.tmpl"),
    }


# (file, anchor: the new line goes after the last line matching it, the line to add)
Edit = tuple[str, str, Callable[[Names], str]]
# The routers of create_app, not of create_stream_app below it: after the first one.
AFTER_FIRST = {r"^    app\.include_router\(\w+\.\w+\)$"}
EDITS: tuple[Edit, ...] = (
    (
        "tables.toml",
        r'^\w+ = \{ variable = "\w+".*\}$',
        lambda n: f'{n.name} = {{ variable = "{n.variable}" }}',
    ),
    (
        "handler/settings.py",
        r'^    \w+_table: str = ""$',
        lambda n: f'    {n.name}_table: str = ""',
    ),
    (
        "handler/demo_state.py",
        r"^    from handler\.api\.\w+\.\w+ import \w+Store$",
        lambda n: f"    from handler.api.{n.name}.{n.item}_store import {n.item.capitalize()}Store",
    ),
    (
        "handler/demo_state.py",
        r"^    \w+: \w+Store$",
        lambda n: f"    {n.name}: {n.item.capitalize()}Store",
    ),
    (
        "handler/composition/__init__.py",
        r"^from handler\.composition\.\w+ import [^(]*$",
        lambda n: f"from handler.composition.{n.item}_backends import {n.item}_store",
    ),
    (
        "handler/composition/__init__.py",
        r"^            \w+=\w+_store\(settings\),$",
        lambda n: f"            {n.name}={n.item}_store(settings),",
    ),
    (
        "handler/app.py",
        r"^from handler\.api\.\w+ import \w*routes\b.*$",
        lambda n: f"from handler.api.{n.name} import {n.item}_routes",
    ),
    (
        "handler/app.py",
        r"^    app\.include_router\(\w+\.\w+\)$",
        lambda n: f"    app.include_router({n.item}_routes.router)",
    ),
    (
        "docs/configuration.md",
        r"^\| `[A-Z0-9_]+_TABLE` \|.*$",
        lambda n: (
            f"| `{n.variable}` | app | empty: memory | DynamoDB table of the {n.name} resource,"
            f" partition key `pk` (S), declared in `tables.toml` |"
        ),
    ),
)


def refusal(root: Path, names: Names) -> str | None:
    """Why `names` cannot be added to the repository at `root`, or None."""
    name = names.name
    if not NAME.match(name) or keyword.iskeyword(name) or keyword.iskeyword(names.item):
        return f"{name!r}: a resource is named with 2 to 31 lower-case letters and digits"
    if (root / "handler" / "api" / name).exists():
        return f"handler/api/{name} exists already"
    taken = {path.name for path in (root / "handler").rglob("*.py")} - {"__init__.py", "errors.py"}
    for path in new_files(names):
        if path.startswith("handler/") and Path(path).name in taken:
            return f"handler/ has a module named {Path(path).name} already: choose another name"
    if names.variable in (root / "tables.toml").read_text(encoding="utf-8"):
        return f"tables.toml declares {names.variable} already"
    if re.search(rf"^    {name}_table:", (root / "handler/settings.py").read_text(), re.M):
        return f"Settings has {name}_table already"
    return None


def edited(root: Path, names: Names) -> dict[str, str]:
    """Path -> new content of every existing file the resource changes."""
    texts: dict[str, str] = {}
    for file, anchor, line in EDITS:
        text = texts.get(file) or (root / file).read_text(encoding="utf-8")
        lines = text.splitlines(keepends=True)
        found = [index for index, old in enumerate(lines) if re.match(anchor, old.rstrip("\n"))]
        if not found:
            raise ScaffoldError(
                f"{file}: no line like {anchor!r} to add {line(names).strip()!r} after;"
                " add it by hand (docs/building-a-resource.md#start-your-own-api)"
            )
        at = found[0] if anchor in AFTER_FIRST else found[-1]
        lines.insert(at + 1, line(names) + "\n")
        texts[file] = "".join(lines)
    return texts


def scaffold(root: Path, name: str) -> list[str]:
    """Write the resource `name` into the repository at `root`; the paths written."""
    names = Names(name)
    problem = refusal(root, names)
    if problem:
        raise ScaffoldError(problem)
    changes = {**edited(root, names), **new_files(names)}
    for path, text in changes.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    tidy(root, [path for path in changes if path.endswith(".py")])
    return sorted(changes)


def tidy(root: Path, paths: list[str]) -> None:
    """Imports sorted and code formatted as `make lint` wants them, when ruff is here
    (the dev install); without it the files are written as they are."""
    for command in (["check", "--fix", "--select", "I", "--quiet"], ["format", "--quiet"]):
        try:
            subprocess.run(  # noqa: S603 - this interpreter, fixed arguments, our own files
                [sys.executable, "-m", "ruff", *command, *paths],
                cwd=root,
                check=False,
                capture_output=True,
            )
        except OSError:
            return
