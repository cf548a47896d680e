"""The figures of `make bench`, kept in docs/performance.json and shown in
docs/performance.md between `<!-- bench:begin -->` and `<!-- bench:end -->`.

Every figure a bench prints (`show`, `ratio`, `figure` of tests/bench/common.py) is also
collected here under the bench's name. At the end of a run, the benches that ran replace
their own rows in the JSON (a subset run, `python -m tests.bench cache`, leaves the other
benches' rows as they were), each with the commit it measured and the date; then the
table in the page is rendered again from the JSON. tests/bench/test_results.py holds the
page to the JSON, so a figure edited by hand fails the tests.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "docs" / "performance.json"
PAGE = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
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
    page.write_text(with_table(page.read_text(), render(data)))
    _rows.clear()
    _current.clear()


def load(path: Path = RESULTS) -> dict[str, Any]:
    if not path.exists():
        return {}
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def render(data: dict[str, Any]) -> str:
    """The markdown table of every figure in `data`, bench by bench."""
    lines = [
        "| bench | figure | value | note | measured |",
        "|---|---|---|---|---|",
    ]
    for bench, entry in sorted(data.items()):
        when = f"{entry['commit']}, {entry['date']}"
        for row in entry["figures"]:
            value = _value(row["value"], row["unit"], row.get("shown_in"))
            note = row.get("note", "").replace("|", "\\|")
            figure = row["figure"].replace("|", "\\|")
            lines.append(f"| {bench} | {figure} | {value} | {note} | {when} |")
    return "\n".join(lines)


def with_table(page: str, table: str) -> str:
    """`page` with its text between the markers replaced by `table`."""
    start, end = page.index(BEGIN) + len(BEGIN), page.index(END)
    return f"{page[:start]}\n{table}\n{page[end:]}"


def table_in(page: str) -> str:
    return page[page.index(BEGIN) + len(BEGIN) : page.index(END)].strip("\n")


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
