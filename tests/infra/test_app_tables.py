"""tables.toml is the one declaration of the app's tables: each line becomes a table in
the stack with its grants, its variable and its output, a table in the emulator's moto,
and a Settings field; a bad line is refused with the file and the table named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from handler.settings import Settings
from infra.app_tables import APP_TABLES, DeclarationError, load_app_tables
from local.aws import topology
from tests.infra.helpers import actions, function, of_type, role_of, statements_of_role

STACK_FUNCTIONS = ("http", "worker", "ws", "stream")


def test_every_declared_variable_is_a_settings_field() -> None:
    fields = {field.upper() for field in Settings.model_fields}
    assert {table.variable for table in APP_TABLES} <= fields


@pytest.mark.parametrize("table", APP_TABLES, ids=lambda t: t.name)
def test_each_declared_table_is_in_the_stack_as_declared(
    resources: dict[str, Any], stub: Any, table: Any
) -> None:
    tables = of_type(resources, "AWS::DynamoDB::Table")
    props = tables[table.logical_id]["Properties"]
    assert props["KeySchema"] == [{"AttributeName": table.partition_key, "KeyType": "HASH"}]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    ttl = props.get("TimeToLiveSpecification", {}).get("AttributeName")
    assert ttl == table.ttl_attribute
    outputs = stub.template.to_json()["Outputs"]
    assert outputs[table.output_name]["Value"] == {"Ref": table.logical_id}
    for name in STACK_FUNCTIONS:
        _, props = function(resources, name)
        granted = sorted(
            action
            for statement in statements_of_role(resources, role_of(props))
            if table.logical_id in str(statement["Resource"])
            for action in actions(statement)
        )
        variables = props.get("Environment", {}).get("Variables", {})
        if name in table.functions:
            assert granted == sorted(table.iam_actions), name
            assert variables[table.variable] == {"Ref": table.logical_id}, name
        else:
            assert granted == [], name
            assert table.variable not in variables, name


def test_the_emulator_creates_and_names_each_declared_table() -> None:
    for table in APP_TABLES:
        spec = topology.APP_TABLE_SPECS[table.variable]
        assert spec in topology.TABLES
        assert (spec.name, spec.partition_key) == (table.name, table.partition_key)
        for stack_name in table.functions:
            emulated = {s.name: s for s in topology.FUNCTIONS}[topology.EMULATOR_NAMES[stack_name]]
            assert table.variable in emulated.environment


def test_one_line_declares_a_table_with_the_defaults(tmp_path: Path) -> None:
    declared = tmp_path / "tables.toml"
    declared.write_text('order_lines = { variable = "ORDER_LINES_TABLE" }\n')
    (table,) = load_app_tables(declared)
    assert table.variable == "ORDER_LINES_TABLE"
    assert (table.logical_id, table.output_name) == ("OrderLinesTable", "OrderLinesTableName")
    assert table.partition_key == "pk"
    assert table.functions == ("http",)
    assert "dynamodb:Scan" in table.iam_actions


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ('Orders = { variable = "ORDERS_TABLE" }', "a name is lower case"),
        ("orders = { }", "`variable` is an upper-case variable name"),
        ('orders = { variable = "ORDERS_TABLE", color = "red" }', "unknown field 'color'"),
        ('orders = { variable = "ORDERS_TABLE", functions = ["api"] }', "'api'"),
        ('orders = { variable = "ORDERS_TABLE", actions = ["DropTable"] }', "'DropTable'"),
        ('a = { variable = "X_TABLE" }\nb = { variable = "X_TABLE" }', "share the variable"),
        ("orders = {", "tables.toml:"),
    ],
)
def test_a_bad_line_is_refused_naming_the_table(tmp_path: Path, line: str, said: str) -> None:
    declared = tmp_path / "tables.toml"
    declared.write_text(line + "\n")
    with pytest.raises(DeclarationError, match=r"tables\.toml") as refused:
        load_app_tables(declared)
    assert said in str(refused.value)
