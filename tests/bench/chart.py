"""docs/performance.png: the figures of one `make bench` run, one panel per comparison,
this project's bar in colour and each reference in grey."""

from __future__ import annotations

import time
from pathlib import Path

from tests.support.asset_goals import ZIP_GOALS

PANELS = [
    ("warm invocation (µs)", "Warm invocation, GET /api/v1/users (µs)", "{:.0f}"),
    ("cold start to first answer (ms)", "Cold start to first answer (ms)", "{:.0f}"),
    ("Lambda asset, zipped (MB)", "Lambda asset, zipped (MB)", "{:.1f}"),
    ("throughput (requests/s)", "Local throughput, wrk -c32 (requests/s)", "{:.0f}"),
    ("broadcast", "Broadcast to 1,000 connections (s)", "{:.2f}"),
]
OURS = {
    "lambda_http.handler",
    "handler.lambda_http",
    "full stack (python -m local)",
    "hub, signed sender",
    "http function",
    "worker function",
    "ws function",
    "stream function",
}
# Where a goal applies: panel -> (label -> goal), drawn as a tick on the bar's axis.
GOALS = {
    "Lambda asset, zipped (MB)": {
        f"{name} function": goal / 1e6 for name, goal in ZIP_GOALS.items()
    }
}
COLOUR, REFERENCE = "#2b6cb0", "#a0aec0"


def _note(key: str, values: dict[str, float]) -> str:
    """The ratio each panel is about, computed from its bars."""
    get = values.get
    if key == "warm invocation (µs)" and get("lambda_http.handler"):
        ours = values["lambda_http.handler"]
        # Not the overhead over the direct call: its goal is held on five runs of their
        # own (the goals table), these bars share one run with stock Mangum's.
        return f"{get('stock Mangum(app)', 0) / ours:.1f}x faster than stock Mangum (goal >= 1.8x)"
    if key == "cold start to first answer (ms)" and get("bare FastAPI + Mangum + boto3"):
        ratio = get("handler.lambda_http", 0) / values["bare FastAPI + Mangum + boto3"]
        return f"{ratio:.2f}x bare FastAPI + Mangum + boto3 (goal <= 1.3x)"
    if key == "throughput (requests/s)" and get("bare FastAPI, uvicorn defaults"):
        ratio = get("full stack (python -m local)", 0) / values["bare FastAPI, uvicorn defaults"]
        return f"{ratio:.2f}x the bare app serving the same body (goal >= 1.0x)"
    if key == "broadcast" and get("hub, signed sender"):
        ratio = get("sequential boto3 loop", 0) / values["hub, signed sender"]
        return f"{ratio:.0f}x faster than the sequential loop (goal <= 1 s)"
    if key in GOALS:
        return "red tick: the goal"
    return ""


def draw(figures: dict[str, dict[str, float]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import ScalarFormatter

    panels = [panel for panel in PANELS if figures.get(panel[0])]
    fig, axes = plt.subplots(3, 2, figsize=(13, 10.5))
    flat = list(axes.flat)
    for axis, (key, title, fmt) in zip(flat, panels, strict=False):
        values = figures[key]
        labels, numbers = list(values), list(values.values())
        goals = GOALS.get(key, {})
        axis.barh(
            labels,
            numbers,
            height=0.6,
            color=[COLOUR if label in OURS else REFERENCE for label in labels],
        )
        axis.invert_yaxis()
        axis.set_title(title, loc="left", fontsize=11, fontweight="bold", pad=20)
        axis.text(
            0,
            1.01,
            _note(key, values),
            transform=axis.transAxes,
            fontsize=9,
            color="#4a5568",
            va="bottom",
        )
        axis.title.set_position((0, 1.07))
        for row, (label, value) in enumerate(values.items()):
            goal = goals.get(label)
            if goal is not None:
                axis.plot([goal, goal], [row - 0.38, row + 0.38], color="#c53030", linewidth=2)
            right = max(value, goal or 0)
            text = fmt.format(value)
            axis.text(
                right * (1.08 if key == "broadcast" else 1)
                + (0 if key == "broadcast" else max(numbers) * 0.02),
                row,
                text,
                va="center",
                fontsize=10,
            )
        axis.margins(x=0.2)
        axis.spines[["top", "right"]].set_visible(False)
        if key == "broadcast":
            axis.set_xscale("log")
            axis.xaxis.set_major_formatter(ScalarFormatter())
    for axis in flat[len(panels) :]:
        axis.axis("off")
    flat[-1].text(
        0.0,
        0.8,
        "make bench, " + time.strftime("%Y-%m-%d") + "\n"
        "medians of interleaved runs on one 2-core machine\n\n"
        "blue: this project   grey: what it is measured against",
        va="top",
        fontsize=10,
    )
    fig.tight_layout(h_pad=2.5)
    fig.savefig(path, dpi=100)
    plt.close(fig)
