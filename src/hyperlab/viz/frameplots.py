"""Plots of a runs DataFrame (from ``hl.query``): params grid, scatter, parallel coordinates.

The input frame is only read, never modified.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hyperlab.errors import InvalidValueError
from hyperlab.viz.figure import Figure
from hyperlab.viz.spec import Dimension, FigureSpec, Panel, ParallelSpec, Trace

if TYPE_CHECKING:
    import pandas as pd

LOG_SPAN = 100.0
"""A positive numeric axis spanning this factor or more is drawn on a log scale."""


def resolve_column(frame: pd.DataFrame, name: str) -> str:
    """The frame column for ``name``: itself, or ``params.``, ``metrics.``, ``meta.`` + name."""
    for candidate in (name, f"params.{name}", f"metrics.{name}", f"meta.{name}"):
        if candidate in frame.columns:
            return candidate
    available = ", ".join(map(str, frame.columns))
    raise InvalidValueError(f"unknown column {name!r}; available: {available}")


def short(column: str) -> str:
    """``params.lr`` -> ``lr`` for axis labels."""
    for prefix in ("params.", "metrics.", "meta."):
        if column.startswith(prefix):
            return column[len(prefix) :]
    return column


def _as_list(names: str | Sequence[str]) -> list[str]:
    return [names] if isinstance(names, str) else list(names)


def _is_numeric(values: Sequence[Any]) -> bool:
    present = [v for v in values if v is not None and not _isnan(v)]
    return bool(present) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in present
    )


def _isnan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _plain(value: Any) -> Any:
    """numpy / pandas scalars to Python values (pd.NA and NaN to None)."""
    if value is None:
        return None
    item = getattr(value, "item", None)
    if callable(item):
        with contextlib.suppress(ValueError, TypeError):
            value = item()
    try:
        import pandas as pd

        if value is pd.NA:
            return None
    except ImportError:  # pragma: no cover - pandas is a core dependency
        pass
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (list, dict)):
        return str(value)
    return value


def _column(frame: pd.DataFrame, column: str) -> list[Any]:
    return [_plain(v) for v in frame[column].tolist()]


def _log_axis(values: Sequence[Any]) -> bool:
    nums = [v for v in values if isinstance(v, (int, float)) and v is not None]
    if not nums or not _is_numeric(values):
        return False
    low, high = min(nums), max(nums)
    return low > 0 and high / low >= LOG_SPAN


def params(
    frame: pd.DataFrame,
    x: str | Sequence[str],
    y: str | Sequence[str],
    *,
    hue: str | Sequence[str] | None = None,
) -> Figure:
    """A grid of metrics against params: ``len(y)`` rows by ``len(x)`` columns.

    In the panel for ``y[i]`` against ``x[j]``, runs are grouped by ``hue`` (default: the other
    ``x`` columns), and each group is a line through the mean of ``y[i]`` at each value of
    ``x[j]``.

    Args:
        frame: Runs from ``hl.query`` (not modified).
        x: Param (or any column) names for the columns of the grid (``lr`` or ``params.lr``).
        y: Metric names for the rows of the grid.
        hue: Columns that split runs into lines (default: the other ``x``).

    Returns:
        A :class:`~hyperlab.viz.figure.Figure`.
    """
    xs = [resolve_column(frame, n) for n in _as_list(x)]
    ys = [resolve_column(frame, n) for n in _as_list(y)]
    if not xs or not ys:
        raise InvalidValueError("params needs at least one x and one y column")
    spec = FigureSpec(title="metrics by params", rows=len(ys), cols=len(xs))
    for i, ycol in enumerate(ys):
        for j, xcol in enumerate(xs):
            hues = (
                [resolve_column(frame, n) for n in _as_list(hue)]
                if hue is not None
                else [c for c in xs if c != xcol]
            )
            xvals = _column(frame, xcol)
            panel = Panel(i, j, xlabel=short(xcol), ylabel=short(ycol), xlog=_log_axis(xvals))
            panel.traces = _grouped_means(frame, xcol, ycol, hues, legend=i == 0)
            spec.panels.append(panel)
    return Figure(spec)


def _groups(frame: pd.DataFrame, hues: Sequence[str]) -> list[tuple[str, list[int]]]:
    """(name, row positions) per distinct combination of ``hues`` values, in first-seen order."""
    if not hues:
        return [("all runs", list(range(len(frame))))]
    columns = [_column(frame, h) for h in hues]
    found: dict[tuple[str, ...], list[int]] = {}
    for row in range(len(frame)):
        key = tuple(repr(c[row]) for c in columns)
        found.setdefault(key, []).append(row)
    named = []
    for rows in found.values():
        first = rows[0]
        name = ", ".join(
            f"{short(h)}={_fmt(c[first])}" for h, c in zip(hues, columns, strict=True)
        )
        named.append((name, rows))
    return named


def _fmt(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _grouped_means(
    frame: pd.DataFrame, xcol: str, ycol: str, hues: Sequence[str], *, legend: bool
) -> list[Trace]:
    xvals = _column(frame, xcol)
    yvals = _column(frame, ycol)
    numeric_x = _is_numeric(xvals)
    traces = []
    for index, (name, rows) in enumerate(_groups(frame, hues)):
        sums: dict[Any, list[float]] = {}
        for row in rows:
            xv, yv = xvals[row], yvals[row]
            if xv is None or not isinstance(yv, (int, float)) or _isnan(yv):
                continue
            sums.setdefault(xv if numeric_x else str(xv), []).append(float(yv))
        if not sums:
            continue
        keys = sorted(sums) if numeric_x else list(sums)
        means = [sum(sums[k]) / len(sums[k]) for k in keys]
        traces.append(
            Trace(
                name,
                list(keys),
                means,
                mode="lines+markers",
                role="group",
                color=index,
                show_legend=legend,
                hover=[f"{name}: n={len(sums[k])}" for k in keys],
            )
        )
    return traces


def scatter(frame: pd.DataFrame, x: str, y: str, *, hue: str | None = None) -> Figure:
    """One metric (or param) against another, a point per run, coloured by ``hue``.

    Args:
        frame: Runs from ``hl.query`` (not modified).
        x: Column for the horizontal axis (``val_loss`` or ``metrics.val_loss``).
        y: Column for the vertical axis.
        hue: Column whose values split runs into coloured groups.

    Returns:
        A :class:`~hyperlab.viz.figure.Figure`.
    """
    xcol, ycol = resolve_column(frame, x), resolve_column(frame, y)
    hues = [resolve_column(frame, hue)] if hue else []
    xvals, yvals = _column(frame, xcol), _column(frame, ycol)
    ids = [str(i) for i in frame.index]
    panel = Panel(0, 0, xlabel=short(xcol), ylabel=short(ycol), xlog=_log_axis(xvals))
    for index, (name, rows) in enumerate(_groups(frame, hues)):
        keep = [r for r in rows if xvals[r] is not None and yvals[r] is not None]
        panel.traces.append(
            Trace(
                name,
                [xvals[r] for r in keep],
                [yvals[r] for r in keep],
                mode="markers",
                role="points",
                color=index,
                show_legend=bool(hues),
                hover=[f"run {ids[r]}" for r in keep],
            )
        )
    return Figure(FigureSpec(title=f"{short(ycol)} vs {short(xcol)}", panels=[panel]))


def parallel(
    frame: pd.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    color: str | None = None,
) -> Figure:
    """Parallel coordinates: a line per run through params and metrics.

    Args:
        frame: Runs from ``hl.query`` (not modified).
        columns: Axes, in order (default: params that vary, then metrics).
        color: Column that colours the lines (default: the first metric axis, the main
            metric of a study; runs missing it take the lowest colour).

    Returns:
        A :class:`~hyperlab.viz.figure.Figure`.
    """
    if columns is None:
        chosen = [c for c in frame.columns if str(c).startswith("params.")]
        chosen = [c for c in chosen if len({repr(v) for v in _column(frame, c)}) > 1]
        chosen += [c for c in frame.columns if str(c).startswith("metrics.")]
    else:
        chosen = [resolve_column(frame, c) for c in columns]
    if not chosen:
        raise InvalidValueError("parallel needs at least one column; none of the params vary")
    dims = []
    for column in chosen:
        values = _column(frame, column)
        if _is_numeric(values):
            dims.append(
                Dimension(short(column), [math.nan if v is None else float(v) for v in values])
            )
        else:
            labels = sorted({str(v) for v in values})
            code = {label: float(i) for i, label in enumerate(labels)}
            dims.append(Dimension(short(column), [code[str(v)] for v in values], labels))
    color_col = resolve_column(frame, color) if color else None
    if color_col is None:
        metric_cols = [c for c in chosen if str(c).startswith("metrics.")]
        color_col = metric_cols[0] if metric_cols else None
    color_values = None
    if color_col is not None and _is_numeric(_column(frame, color_col)):
        raw = [math.nan if v is None else float(v) for v in _column(frame, color_col)]
        low = min((v for v in raw if math.isfinite(v)), default=0.0)
        color_values = [v if math.isfinite(v) else low for v in raw]  # missing: low end
    spec = FigureSpec(
        title="parallel coordinates",
        parallel=ParallelSpec(dims, color_values, short(color_col) if color_col else ""),
    )
    return Figure(spec)
