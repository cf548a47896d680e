"""The figures table of docs/performance.md is the one docs/performance.json renders, and
a run of some benches replaces only their rows."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.bench import results


def test_the_page_shows_the_figures_of_the_json() -> None:
    page = results.PAGE.read_text()
    assert results.table_in(page) == results.render(results.load()), (
        "docs/performance.md differs from docs/performance.json: run the bench again "
        "(python -m tests.bench NAME) instead of editing the table"
    )


def test_a_run_of_some_benches_replaces_only_their_rows(tmp_path: Path) -> None:
    data, page = tmp_path / "figures.json", tmp_path / "page.md"
    page.write_text(f"# Figures\n\n{results.BEGIN}\nold\n{results.END}\n\nafter\n")
    results.begin("one")
    results.add("hit", 0.000125, "us", "target <= 1 ms")
    results.begin("two")
    results.add("ours / bare", 1.234, "x")
    results.save("abc1234", data, page)
    results.begin("two")
    results.add("ours / bare", 0.98, "x")
    results.save("def5678-dirty", data, page)

    saved = json.loads(data.read_text())
    assert saved["one"]["commit"] == "abc1234"
    assert saved["one"]["figures"] == [
        {
            "figure": "hit",
            "value": 0.000125,
            "unit": "s",
            "shown_in": "us",
            "note": "target <= 1 ms",
        }
    ]
    assert saved["two"]["commit"] == "def5678-dirty"
    assert [row["value"] for row in saved["two"]["figures"]] == [0.98]
    text = page.read_text()
    assert text.endswith(f"{results.END}\n\nafter\n")
    assert "| one | hit | 125.0 µs | target <= 1 ms | abc1234," in text
    assert "| two | ours / bare | 0.98x |  | def5678-dirty," in text
    assert "old" not in text


def test_the_commit_is_short_and_says_when_the_tree_was_dirty() -> None:
    assert re.fullmatch(r"[0-9a-f]{4,40}(-dirty)?|unknown", results.measured_commit())
