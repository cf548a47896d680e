"""`require`: what a test does when a dependency outside Python (Redis, node, chromium) is
missing."""

from __future__ import annotations

import os

import pytest


def require(flag: str, reason: str) -> None:
    """Skip with a reason, or fail when CI says this dependency must be present."""
    if os.environ.get(flag) == "1":
        pytest.fail(f"{reason} ({flag}=1 forbids skipping)")
    pytest.skip(reason)
