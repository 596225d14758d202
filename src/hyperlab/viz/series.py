"""Pure numeric helpers for curves: smoothing, downsampling that keeps extremes, the best point."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from hyperlab.errors import InvalidValueError

if TYPE_CHECKING:
    import numpy as np

    FloatArray = np.ndarray[Any, np.dtype[np.float64]]


def smooth_ema(values: FloatArray, weight: float) -> FloatArray:
    """Exponential moving average with bias correction (like TensorBoard's smoothing slider).

    Args:
        values: The raw values.
        weight: 0 (no smoothing) up to, but excluding, 1. NaNs are carried over unchanged.

    Returns:
        A new array of the same length; the input is not modified.
    """
    import numpy as np

    if not 0.0 <= weight < 1.0:
        raise InvalidValueError(f"smoothing must be in [0, 1), got {weight!r}")
    out = np.array(values, dtype=np.float64, copy=True)
    if weight == 0.0 or len(out) == 0:
        return out
    acc = 0.0
    count = 0
    for i, value in enumerate(out):
        if not np.isfinite(value):
            continue
        acc = weight * acc + (1.0 - weight) * value
        count += 1
        out[i] = acc / (1.0 - weight**count)
    return out


def downsample(x: FloatArray, y: FloatArray, max_points: int) -> tuple[FloatArray, FloatArray]:
    """At most ``max_points`` points that keep the curve's shape and its extremes.

    The curve is cut into ``max_points // 2`` buckets of consecutive points; each bucket keeps
    its lowest and highest point (in their original order), so spikes and the best value
    survive. The first and last points are always kept.

    Args:
        x: X values, sorted.
        y: Y values, same length.
        max_points: The budget (at least 4).

    Returns:
        ``(x, y)``: the input arrays themselves when they are within budget, else new arrays.
    """
    import numpy as np

    if max_points < 4:
        raise InvalidValueError(f"max_points must be at least 4, got {max_points}")
    n = len(x)
    if n <= max_points:
        return x, y
    buckets = (max_points - 2) // 2
    edges = np.linspace(1, n - 1, buckets + 1).astype(np.int64)
    keep = [0]
    filled = np.where(np.isfinite(y), y, np.nan)
    for start, stop in itertools.pairwise(edges):
        if stop <= start:
            continue
        chunk = filled[start:stop]
        if np.all(np.isnan(chunk)):
            keep.append(int(start))
            continue
        lo = int(start + np.nanargmin(chunk))
        hi = int(start + np.nanargmax(chunk))
        keep.extend(sorted({lo, hi}))
    keep.append(n - 1)
    index = np.unique(np.asarray(keep, dtype=np.int64))
    return x[index], y[index]


def best_index(values: FloatArray, direction: str) -> int | None:
    """Index of the best finite value (first one on ties); None when there is none."""
    import numpy as np

    if direction not in ("min", "max"):
        raise InvalidValueError(f"direction must be 'min' or 'max', got {direction!r}")
    finite = np.isfinite(values)
    if not finite.any():
        return None
    masked = np.where(finite, values, np.inf if direction == "min" else -np.inf)
    return int(np.argmin(masked) if direction == "min" else np.argmax(masked))


BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float], width: int = 24) -> str:
    """A one-line terminal sketch of a curve, ``width`` characters at most (pure Python).

    Each character shows the mean of a bucket of consecutive values; NaN and infinite values
    are skipped. A flat curve draws at mid height.
    """
    import math

    clean = [v for v in values if isinstance(v, (int, float)) and math.isfinite(v)]
    if not clean:
        return ""
    if width < 1:
        raise InvalidValueError(f"sparkline width must be >= 1, got {width}")
    n = len(clean)
    buckets = min(width, n)
    means = []
    for b in range(buckets):
        part = clean[b * n // buckets : (b + 1) * n // buckets]
        means.append(sum(part) / len(part))
    lo, hi = min(means), max(means)
    if hi == lo:
        return BLOCKS[len(BLOCKS) // 2] * buckets
    top = len(BLOCKS) - 1
    return "".join(BLOCKS[round((m - lo) / (hi - lo) * top)] for m in means)
