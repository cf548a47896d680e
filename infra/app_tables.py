"""The app's tables as `tables.toml` (the repository root) declares them: one line a table.

Standard library only, like infra.stages: the emulator (local/aws/topology.py) and the
tests read it without starting node, and without importing handler/ (infra never does).
`infra.tables.AppTables` builds the stack's tables from it.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TABLES_FILE = Path(__file__).resolve().parents[1] / "tables.toml"
# The functions a table may be given to, by the stack's names (infra.assets.FUNCTIONS).
FUNCTIONS = ("http", "worker", "ws", "stream")
# What a store with get, page, create, update and delete calls (TransactWriteItems needs
# the rights of the Put and Delete inside it): no Query, no batch operations, no index.
DEFAULT_ACTIONS = ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Scan")
KNOWN_ACTIONS = frozenset(
    {
        *DEFAULT_ACTIONS,
        "Query",
        "BatchGetItem",
        "BatchWriteItem",
        "ConditionCheckItem",
        "DescribeTable",
    }
)
NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
VARIABLE = re.compile(r"^[A-Z][A-Z0-9_]{0,100}$")
KEY = re.compile(r"^[A-Za-z0-9_.-]{1,255}$")
FIELDS = {"variable", "key", "functions", "actions", "ttl"}


@dataclass(frozen=True)
class AppTable:
    """One declared table. `name` is the resource's: `orders` gives the construct and
    logical id `OrdersTable` and the output `OrdersTableName`."""

    name: str
    variable: str
    partition_key: str = "pk"
    functions: tuple[str, ...] = ("http",)
    actions: tuple[str, ...] = DEFAULT_ACTIONS
    ttl_attribute: str | None = None

    @property
    def title(self) -> str:
        return "".join(part.capitalize() for part in self.name.split("_"))

    @property
    def logical_id(self) -> str:
        return f"{self.title}Table"

    @property
    def output_name(self) -> str:
        return f"{self.title}TableName"

    @property
    def iam_actions(self) -> tuple[str, ...]:
        return tuple(f"dynamodb:{action}" for action in self.actions)


class DeclarationError(ValueError):
    """tables.toml declares something the stack cannot build; the message says where."""


def load_app_tables(path: Path = TABLES_FILE) -> tuple[AppTable, ...]:
    """Every table `path` declares, in its order; `DeclarationError` names a bad line."""
    try:
        declared = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DeclarationError(f"{path.name}: {exc}") from None
    tables = tuple(_table(path.name, name, value) for name, value in declared.items())
    for what in ("variable", "logical_id"):
        values = [getattr(table, what) for table in tables]
        doubled = sorted({value for value in values if values.count(value) > 1})
        if doubled:
            raise DeclarationError(f"{path.name}: two tables share the {what} {doubled[0]}")
    return tables


def _table(file: str, name: str, value: Any) -> AppTable:
    where = f"{file}: table {name!r}"
    if not NAME.match(name):
        raise DeclarationError(f"{where}: a name is lower case letters, digits and _")
    if not isinstance(value, dict):
        raise DeclarationError(f"{where}: expected {{ variable = ..., ... }}")
    unknown = sorted(set(value) - FIELDS)
    if unknown:
        raise DeclarationError(f"{where}: unknown field {unknown[0]!r} (known: {sorted(FIELDS)})")
    variable = value.get("variable")
    if not isinstance(variable, str) or not VARIABLE.match(variable):
        raise DeclarationError(f"{where}: `variable` is an upper-case variable name")
    key = value.get("key", "pk")
    ttl = value.get("ttl")
    for field, text in (("key", key), ("ttl", ttl)):
        if text is not None and not (isinstance(text, str) and KEY.match(text)):
            raise DeclarationError(f"{where}: `{field}` is an attribute name")
    functions = _names(where, "functions", value.get("functions", ["http"]), set(FUNCTIONS))
    actions = _names(where, "actions", value.get("actions", list(DEFAULT_ACTIONS)), KNOWN_ACTIONS)
    return AppTable(
        name=name,
        variable=variable,
        partition_key=key,
        functions=functions,
        actions=actions,
        ttl_attribute=ttl,
    )


def _names(where: str, field: str, value: Any, known: set[str] | frozenset[str]) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise DeclarationError(f"{where}: `{field}` is a list of names")
    strangers = sorted(set(value) - known)
    if strangers:
        raise DeclarationError(f"{where}: `{field}` has {strangers[0]!r} (known: {sorted(known)})")
    return tuple(value)


APP_TABLES = load_app_tables()
