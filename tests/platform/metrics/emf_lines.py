"""Reading EMF back: the JSON lines a process printed, as (metric, value, dimensions)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Point:
    name: str
    unit: str
    value: float
    dimensions: dict[str, str]
    namespace: str


def emf_points(output: str) -> list[Point]:
    """Every metric value in the EMF lines of `output` (other lines are skipped)."""
    points: list[Point] = []
    for line in output.splitlines():
        if not line.startswith('{"_aws"'):
            continue
        blob: dict[str, Any] = json.loads(line)
        for directive in blob["_aws"]["CloudWatchMetrics"]:
            (names,) = directive["Dimensions"]
            dimensions = {name: blob[name] for name in names}
            for metric in directive["Metrics"]:
                for value in blob[metric["Name"]]:
                    points.append(
                        Point(
                            metric["Name"],
                            metric["Unit"],
                            value,
                            dimensions,
                            directive["Namespace"],
                        )
                    )
    return points


def named(points: list[Point], name: str) -> list[Point]:
    return [point for point in points if point.name == name]
