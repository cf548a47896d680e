"""The figures of `make bench`, kept in docs/performance.json and shown in
docs/performance.md between `<!-- bench:begin -->` and `<!-- bench:end -->`.

Every figure a bench prints (`show`, `ratio`, `figure` of tests/bench/common.py) is also
collected here under the bench's name. At the end of a run, the benches that ran replace
their own rows in the JSON (a subset run, `python -m tests.bench cache`, leaves the other
benches' rows as they were), each with the commit it measured and the date; then the
table in the page is rendered again from the JSON, and so is the table of goals (every
figure whose note names a target, `target <= 1.2` or `goal <= 13.5 MB`, with whether the
figure meets it). tests/bench/test_results.py holds the page to the JSON, so a figure
edited by hand fails the tests.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "docs" / "performance.json"
PAGE = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
GOALS_BEGIN, GOALS_END = "<!-- goals:begin -->", "<!-- goals:end -->"
# `target <= 1.2`, `goal <= 13.5 MB`, `target: <= 1500 ms`, `target <= 1000 us (1 ms)`.
_GOAL = re.compile(r"\b(?:target|goal):? *(<=|>=) *([0-9.]+) *(ms|us|µs|s|MB)?")
# What a run writes: not a change to what it measured.
OUTPUTS = ("docs/performance.json", "docs/performance.md", "docs/performance.png")

_rows: dict[str, list[dict[str, Any]]] = {}
_current: list[str] = []


def begin(bench: str) -> None:
    """Figures from now on belong to `bench` (its earlier rows of this run are dropped)."""
    _current[:] = [bench]
    _rows[bench] = []


def add(label: str, value: float, unit: str, note: str = "") -> None:
    if not _current:
        return  # a bench module run on its own (python -m tests.bench.bench_x)
    row: dict[str, Any] = {"figure": label.strip(), "value": float(f"{value:.4g}"), "unit": unit}
    if unit in _DURATIONS:  # durations are kept in seconds, shown in the unit printed
        row.update(unit="s", shown_in=unit)
    if note.strip():
        row["note"] = note.strip()
    _rows[_current[0]].append(row)


def measured_commit() -> str:
    """`git rev-parse --short HEAD`, plus `-dirty` when the tree differs from it (the
    run's own outputs aside)."""
    head = _git("rev-parse", "--short", "HEAD") or "unknown"
    changed = [
        line[3:]
        for line in _git("status", "--porcelain", "--untracked-files=no").splitlines()
        if line[3:] not in OUTPUTS
    ]
    return f"{head}-dirty" if changed else head


def save(commit: str, path: Path = RESULTS, page: Path = PAGE) -> None:
    """Merge this run's benches into the JSON and render the page's table from it."""
    data = load(path)
    date = time.strftime("%Y-%m-%d")
    for bench, rows in _rows.items():
        if rows:
            data[bench] = {"commit": commit, "date": date, "figures": rows}
    path.write_text(json.dumps(dict(sorted(data.items())), indent=1, ensure_ascii=False) + "\n")
    text = with_table(page.read_text(), render(data))
    page.write_text(with_table(text, render_goals(data), GOALS_BEGIN, GOALS_END))
    _rows.clear()
    _current.clear()


def load(path: Path = RESULTS) -> dict[str, Any]:
    if not path.exists():
        return {}
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def render(data: dict[str, Any]) -> str:
    """The markdown table of every figure in `data`, bench by bench."""
    lines = ["| bench | figure | value | note | measured |", "|---|---|---|---|---|"]
    for bench, figure, value, row, when in _shown(data):
        note = row.get("note", "").replace("|", "\\|")
        lines.append(f"| {bench} | {figure} | {value} | {note} | {when} |")
    return "\n".join(lines)


def render_goals(data: dict[str, Any]) -> str:
    """The markdown table of every figure in `data` that has a goal, and whether it is met."""
    lines = ["| bench | figure | value | goal | met | measured |", "|---|---|---|---|---|---|"]
    for bench, figure, value, row, when in _shown(data):
        goal = goal_of(row.get("note", ""))
        if goal is not None:
            text, met = goal
            verdict = "yes" if met(row["value"], row["unit"]) else "**no**"
            lines.append(f"| {bench} | {figure} | {value} | {text} | {verdict} | {when} |")
    return "\n".join(lines)


def _shown(data: dict[str, Any]) -> Iterator[tuple[str, str, str, dict[str, Any], str]]:
    """Each row of `data`, bench by bench: its bench, figure and value as a table shows
    them, the row, and when it was measured."""
    for bench, entry in sorted(data.items()):
        when = f"{entry['commit']}, {entry['date']}"
        for row in entry["figures"]:
            value = _value(row["value"], row["unit"], row.get("shown_in"))
            yield bench, row["figure"].replace("|", "\\|"), value, row, when


def goal_of(note: str) -> tuple[str, Any] | None:
    """The goal a note names (`target <= 1.2`), as its text and a test of a row's value
    (in the row's unit; a duration in seconds is compared in the goal's unit)."""
    found = _GOAL.search(note)
    if found is None:
        return None
    sign, bound, unit = found.group(1), float(found.group(2)), found.group(3) or ""
    factor = _DURATIONS[unit][0] if unit in _DURATIONS else (1e6 if unit == "µs" else 1.0)

    def met(value: float, row_unit: str) -> bool:
        shown = value * factor if row_unit == "s" else value
        return shown <= bound if sign == "<=" else shown >= bound

    return f"{sign} {found.group(2)}{' ' + unit if unit else ''}", met


def with_table(page: str, table: str, begin: str = BEGIN, end: str = END) -> str:
    """`page` with its text between the markers replaced by `table`."""
    start, stop = page.index(begin) + len(begin), page.index(end)
    return f"{page[:start]}\n{table}\n{page[stop:]}"


def table_in(page: str, begin: str = BEGIN, end: str = END) -> str:
    return page[page.index(begin) + len(begin) : page.index(end)].strip("\n")


_DURATIONS = {"us": (1e6, "µs"), "ms": (1e3, "ms"), "s": (1.0, "s")}


def _value(value: float, unit: str, shown_in: str | None = None) -> str:
    if shown_in in _DURATIONS:
        factor, shown = _DURATIONS[shown_in]
        return f"{value * factor:,.1f} {shown}"
    if unit == "x":
        return f"{value:.2f}x"
    return f"{value:,.1f} {unit}".rstrip()


def _git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip()
