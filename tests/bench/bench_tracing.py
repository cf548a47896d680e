"""Why no tracing SDK (docs/operations.md, "Traces"): what `aws_xray_sdk` (the SDK
Powertools Tracer imports) adds to a cold start, against the 20 ms budget. Each sample is
a fresh interpreter, the two imports interleaved so that load lands on both."""

from __future__ import annotations

import importlib.util
import statistics
import subprocess
import sys

from tests.bench.common import ratio, record, show
from tests.support.processes import ROOT

RUNS = 9
BUDGET_SECONDS = 0.020
TIMED = """
import time
t = time.perf_counter()
import {modules}
print("SECONDS", time.perf_counter() - t, flush=True)
"""


def _seconds(modules: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", TIMED.format(modules=modules)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(out.split("SECONDS", 1)[1])


def main() -> None:
    if importlib.util.find_spec("aws_xray_sdk") is None:
        print("  aws_xray_sdk is not installed: skipped", flush=True)
        return
    base, traced = [], []
    for _ in range(RUNS):
        base.append(_seconds("aws_lambda_powertools"))
        traced.append(_seconds("aws_lambda_powertools, aws_xray_sdk.core"))
    added = statistics.median(traced) - statistics.median(base)
    show("import Powertools", statistics.median(base), "ms")
    show("import Powertools and aws_xray_sdk.core", statistics.median(traced), "ms")
    show("what the tracing SDK adds to a cold start", added, "ms")
    ratio("that / the 20 ms budget", added / BUDGET_SECONDS, "(over 1: no SDK at init)")
    record("cold start", "aws_xray_sdk import", added)


if __name__ == "__main__":
    main()
