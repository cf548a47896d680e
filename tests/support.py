"""Helpers shared by tests and the bench: recorded events."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).parent / "events"


@cache
def _read(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return data


def load_event(name: str, **overrides: Any) -> dict[str, Any]:
    """A fresh copy of `tests/events/<name>.json` with top-level keys replaced."""
    event = copy.deepcopy(_read(f"{name}.json"))
    event.update(overrides)
    return event
