"""Curve helpers: downsampling keeps extremes within budget, smoothing, best point, sparkline."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperlab.errors import InvalidValueError
from hyperlab.viz.series import BLOCKS, best_index, downsample, smooth_ema, sparkline

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(st.lists(finite, min_size=1, max_size=3000), st.integers(4, 500))
def test_downsample_keeps_budget_extremes_and_ends(values: list[float], budget: int) -> None:
    y = np.asarray(values, dtype=np.float64)
    x = np.arange(len(y), dtype=np.float64)
    xs, ys = downsample(x, y, budget)
    assert len(xs) <= budget
    assert ys.max() == y.max()
    assert ys.min() == y.min()
    assert xs[0] == 0
    assert xs[-1] == len(y) - 1
    assert np.all(np.diff(xs) > 0)  # original order, no duplicates
    assert np.array_equal(ys, y[xs.astype(np.int64)])  # only real points, never invented


def test_downsample_a_million_points_to_2000_keeps_a_single_spike() -> None:
    y = np.zeros(1_000_000)
    y[777_777] = 42.0
    xs, _ys = downsample(np.arange(len(y), dtype=np.float64), y, 2000)
    assert len(xs) <= 2000
    assert 777_777.0 in xs.tolist()


def test_downsample_rejects_tiny_budgets() -> None:
    with pytest.raises(InvalidValueError, match="at least 4"):
        downsample(np.arange(10.0), np.arange(10.0), 2)


def test_smoothing_leaves_input_alone_and_stays_within_range() -> None:
    raw = np.array([0.0, 10.0, 0.0, 10.0, 0.0, 10.0])
    before = raw.copy()
    smoothed = smooth_ema(raw, 0.8)
    assert np.array_equal(raw, before)
    assert smoothed.min() >= 0.0
    assert smoothed.max() <= 10.0
    assert np.ptp(smoothed[2:]) < np.ptp(raw[2:])
    assert np.array_equal(smooth_ema(raw, 0.0), raw)
    with pytest.raises(InvalidValueError, match=r"\[0, 1\)"):
        smooth_ema(raw, 1.0)


def test_best_index_follows_direction_and_skips_nan() -> None:
    values = np.array([3.0, np.nan, 1.0, 5.0])
    assert best_index(values, "min") == 2
    assert best_index(values, "max") == 3
    assert best_index(np.array([np.nan]), "min") is None
    with pytest.raises(InvalidValueError, match="direction"):
        best_index(values, "up")


def test_sparkline_shape() -> None:
    line = sparkline([float(i) for i in range(100)], width=10)
    assert len(line) == 10
    assert line[0] == BLOCKS[0]
    assert line[-1] == BLOCKS[-1]
    assert list(line) == sorted(line)
    assert sparkline([1.0, 1.0, 1.0]) == BLOCKS[len(BLOCKS) // 2] * 3
    assert sparkline([]) == ""
    assert sparkline([float("nan"), 2.0, 1.0]) == BLOCKS[-1] + BLOCKS[0]
