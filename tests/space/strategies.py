"""Hypothesis strategies for parameter spaces (small enough to check the algebra exhaustively)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

import hyperlab as hl

SLOW_OK = settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
"""Base settings: no per-example deadline and no speed health checks (the CI machine is shared)."""

KEYS = ["a", "b", "c", "d", "optim.lr", "x_1"]

scalars = st.one_of(
    st.integers(-1000, 1000),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.booleans(),
    st.none(),
    st.text(alphabet="abcXYZ019 _-.\"'\\é", max_size=6),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(KEYS), inner, max_size=2)
    ),
    max_leaves=4,
)


@st.composite
def grid_ranges(draw: st.DrawFn) -> Any:
    """A key's finite range: a scalar, a list of distinct-ish values or a range()."""
    kind = draw(st.sampled_from(["scalar", "list", "range"]))
    if kind == "scalar":
        value = draw(values)
        return [value] if isinstance(value, list) else value  # a list alone is a range
    if kind == "range":
        start = draw(st.integers(-5, 5))
        return range(start, start + draw(st.integers(1, 4)), draw(st.sampled_from([1, 2])))
    return draw(st.lists(values, min_size=1, max_size=4))


@st.composite
def grids(draw: st.DrawFn, keys: list[str] | None = None) -> hl.ParamSpace:
    """A plain grid space over ``keys`` (default: a random subset, in random order)."""
    if keys is None:
        keys = draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=3, unique=True))
    return hl.ParamSpace({k: draw(grid_ranges()) for k in keys})


@st.composite
def spaces(draw: st.DrawFn, depth: int = 2) -> hl.ParamSpace:
    """A space built with +, * and k * from grids (finite, no random keys)."""
    if depth == 0:
        return draw(grids())
    op = draw(st.sampled_from(["grid", "add", "mul", "repeat"]))
    if op == "grid":
        return draw(grids())
    if op == "repeat":
        return draw(st.integers(0, 3)) * draw(spaces(depth - 1))
    left = draw(spaces(depth - 1))
    if op == "add":
        order = draw(st.permutations(list(left.keys)))
        right = draw(grids(keys=list(order)))
        return left + right
    free = [k for k in KEYS if k not in left.keys]
    keys = draw(st.lists(st.sampled_from(free), min_size=1, max_size=2, unique=True))
    return left * draw(grids(keys=keys))


distributions = st.one_of(
    st.builds(
        lambda lo, w: hl.Uniform(lo, lo + w),
        st.floats(-1e6, 1e6),
        st.floats(0, 1e6),
    ),
    st.builds(lambda lo, f: hl.LogUniform(lo, lo * f), st.floats(1e-8, 1e3), st.floats(1, 1e6)),
    st.builds(lambda lo, w: hl.IntUniform(lo, lo + w), st.integers(-100, 100), st.integers(0, 50)),
    st.builds(hl.Normal, st.floats(-1e3, 1e3), st.floats(1e-3, 1e3)),
    st.builds(
        lambda c: hl.Categorical(c),
        st.lists(scalars, min_size=1, max_size=4, unique_by=lambda v: repr(v)),
    ),
    st.builds(hl.Fixed, values),
)
