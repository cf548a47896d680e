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


def test_the_page_shows_every_goal_of_the_json_and_whether_it_is_met() -> None:
    page = results.PAGE.read_text()
    assert results.table_in(page, results.GOALS_BEGIN, results.GOALS_END) == (
        results.render_goals(results.load())
    ), "docs/performance.md's goals differ from docs/performance.json: run the bench again"


def test_goals_are_read_from_notes_in_the_unit_they_name() -> None:
    rows = {
        "figures": [
            {"figure": "ratio", "value": 1.23, "unit": "x", "note": "target <= 1.2"},
            {"figure": "speed-up", "value": 4.7, "unit": "x", "note": "target >= 1.8"},
            {
                "figure": "post",
                "value": 0.8,
                "unit": "s",
                "shown_in": "ms",
                "note": "±2%  target: <= 1500 ms",
            },
            {
                "figure": "overhead",
                "value": 0.0013,
                "unit": "s",
                "shown_in": "us",
                "note": "target <= 1000 us (1 ms)",
            },
            {"figure": "asset", "value": 12.8, "unit": "MB", "note": "goal <= 13.5 MB"},
            {"figure": "no goal", "value": 3.0, "unit": "x", "note": "±4%"},
        ]
    }
    table = results.render_goals({"b": {"commit": "abc1234", "date": "2026-12-07", **rows}})
    verdicts = {line.split(" | ")[1]: line.split(" | ")[4] for line in table.splitlines()[2:]}
    assert verdicts == {
        "ratio": "**no**",
        "speed-up": "yes",
        "post": "yes",
        "overhead": "**no**",
        "asset": "yes",
    }


def test_a_run_of_some_benches_replaces_only_their_rows(tmp_path: Path) -> None:
    data, page = tmp_path / "figures.json", tmp_path / "page.md"
    page.write_text(
        f"# Figures\n\n{results.GOALS_BEGIN}\n{results.GOALS_END}\n\n"
        f"{results.BEGIN}\nold\n{results.END}\n\nafter\n"
    )
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
