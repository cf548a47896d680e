"""Hypothesis strategies for hostile input: any JSON value (`json_values`), and recorded
events with a few of their parts replaced by any JSON value or removed (`mutated`).

`hostile(n)` is the one hypothesis profile the suites use: `n` cases, derandomized (CI
tries the same cases every run), no deadline (a loaded 2-core machine stalls any one call
now and then). The counts are recorded in docs/reliability.md.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

Path = tuple[str | int, ...]


def hostile(max_examples: int) -> settings:
    return settings(
        max_examples=max_examples,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.sampled_from(["", "GET", "POST", "/", "2.0", "1.0", "$connect", "true", "\x00", "é"])
)
# What `json.loads` can return: no NaN, no tuples, string keys.
json_values: st.SearchStrategy[Any] = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=12,
)


def paths(value: Any, prefix: Path = ()) -> Iterator[Path]:
    """Every place in a JSON value, the root first."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*prefix, index))


@st.composite
def mutated(draw: st.DrawFn, base: Any, *, max_changes: int = 3) -> Any:
    """`base` (copied) with 1 to `max_changes` places replaced by any JSON value, or
    removed from their object or list."""
    value = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, max_changes))):
        path = draw(st.sampled_from(list(paths(value))))
        if not path:
            return draw(json_values)
        parent = value
        for part in path[:-1]:
            parent = parent[part]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(json_values)
    return value
