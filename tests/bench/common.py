"""Timing helpers: medians over repeats, printed as one aligned line per figure."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from tests.bench import results


def per_call(fn: Callable[[], object], *, number: int, repeats: int = 7) -> float:
    """Median over `repeats` of the mean seconds per call over `number` calls."""
    fn()  # warm up: first-call imports and caches are not what we measure
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples)


def spread(samples: list[float]) -> str:
    """min..max around the median, as a percentage: the noise seen in this run."""
    med = statistics.median(samples)
    return f"±{100 * (max(samples) - min(samples)) / (2 * med):.0f}%"


def show(label: str, value: float, unit: str = "us", note: str = "") -> None:
    """A duration in seconds, printed in `unit` (us, ms, s) and kept for the JSON."""
    scale = {"us": 1e6, "ms": 1e3, "s": 1.0}[unit]
    print(f"  {label:<52} {value * scale:>10.1f} {unit}  {note}", flush=True)
    results.add(label, value, unit, note)


def ratio(label: str, value: float, target: str = "") -> None:
    print(f"  {label:<52} {value:>10.2f} x  {target}", flush=True)
    results.add(label, value, "x", target)


def per_call_interleaved(
    fns: dict[str, Callable[[], object]],
    *,
    number: int,
    repeats: int = 9,
    clock: Callable[[], float] = time.perf_counter,
    rotate: bool = False,
) -> dict[str, float]:
    """Like `per_call` for several functions, taking their samples in turn, so a burst of
    load on a shared machine lands on all of them rather than on one. `clock` may be
    `time.process_time`: this process's CPU, which other processes disturb less. `rotate`
    reverses the order every other repeat, so no function always runs in the caches the
    one before it left."""
    for fn in fns.values():
        fn()
    samples: dict[str, list[float]] = {name: [] for name in fns}
    order = list(fns.items())
    for repeat in range(repeats):
        for name, fn in order if not rotate or repeat % 2 == 0 else order[::-1]:
            start = clock()
            for _ in range(number):
                fn()
            samples[name].append((clock() - start) / number)
    return {name: statistics.median(values) for name, values in samples.items()}


def figure(label: str, value: float, unit: str = "", note: str = "") -> None:
    """A figure that is not a duration (a count, MB, requests per second)."""
    print(f"  {label:<52} {value:>10.1f} {unit}  {note}", flush=True)
    results.add(label, value, unit, note)


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used so far (its children not included): a cost
    that another process's load on a shared machine disturbs less than wall time."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# Figures for the chart (tests/bench/chart.py): panel -> bar label -> seconds, bytes or
# requests per second, as each bench measured them in this run.
FIGURES: dict[str, dict[str, float]] = {}


def record(panel: str, label: str, value: float) -> None:
    FIGURES.setdefault(panel, {})[label] = value
