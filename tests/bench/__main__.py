"""Run every `tests/bench/bench_*.py` module's `main()` in name order (or those named).

Every run writes its figures to docs/performance.json (the benches that ran replace their
own rows) and renders the table of docs/performance.md from it (tests/bench/results.py).
A full run (no names) also draws its figures into docs/performance.png."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time

import tests.bench
from tests.bench import results
from tests.bench.chart import draw
from tests.bench.common import FIGURES
from tests.support.processes import ROOT

CHART = ROOT / "docs" / "performance.png"


def main(argv: list[str]) -> None:
    names = sorted(
        info.name
        for info in pkgutil.iter_modules(tests.bench.__path__)
        if info.name.startswith("bench_")
    )
    wanted = [n for n in names if not argv or any(a in n for a in argv)]
    commit = results.measured_commit()  # before the run writes its outputs
    for name in wanted:
        print(f"\n== {name.removeprefix('bench_')} ==", flush=True)
        started = time.perf_counter()
        results.begin(name.removeprefix("bench_"))
        importlib.import_module(f"tests.bench.{name}").main()
        print(f"   ({time.perf_counter() - started:.1f} s)", flush=True)
    results.save(commit)
    print(f"\nfigures: {results.RESULTS.relative_to(ROOT)} and {results.PAGE.relative_to(ROOT)}")
    if not argv:
        draw(FIGURES, CHART)
        print(f"\nchart: {CHART.relative_to(ROOT)}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
