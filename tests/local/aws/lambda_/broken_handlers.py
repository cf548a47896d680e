"""A module whose import (the init of a function that uses it) fails."""

from __future__ import annotations

raise RuntimeError("init failed on purpose")
