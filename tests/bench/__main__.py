"""Run every `tests/bench/bench_*.py` module's `main()` in name order (or those named).

A full run (no names) also draws its figures into docs/performance.png."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time

import tests.bench
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
    for name in wanted:
        print(f"\n== {name.removeprefix('bench_')} ==", flush=True)
        started = time.perf_counter()
        importlib.import_module(f"tests.bench.{name}").main()
        print(f"   ({time.perf_counter() - started:.1f} s)", flush=True)
    if not argv:
        draw(FIGURES, CHART)
        print(f"\nchart: {CHART.relative_to(ROOT)}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
