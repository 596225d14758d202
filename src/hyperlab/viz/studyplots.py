"""Plots of a whole study: optimization history, param importance, Pareto front."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hyperlab.errors import InvalidValueError
from hyperlab.store import Store, StudyRecord
from hyperlab.viz.figure import Figure
from hyperlab.viz.frameplots import _column, _is_numeric, short
from hyperlab.viz.spec import FigureSpec, Panel, Trace

if TYPE_CHECKING:
    import pandas as pd

IMPORTANCE_BINS = 10


@dataclass
class StudyRuns:
    """A study's finished runs, ordered by run number, and its declared directions."""

    label: str
    frame: pd.DataFrame
    directions: dict[str, str]

    def metric(self, metric: str | None) -> str:
        """The metric column to use: given, else the study's main metric, else the first one."""
        if metric is not None:
            column = f"metrics.{metric}" if not metric.startswith("metrics.") else metric
            if column not in self.frame.columns:
                known = ", ".join(short(c) for c in self.metric_columns) or "none"
                raise InvalidValueError(
                    f"study {self.label!r} has no metric {metric!r}; known: {known}"
                )
            return column
        for name in self.directions:
            if f"metrics.{name}" in self.frame.columns:
                return f"metrics.{name}"
        if not self.metric_columns:
            raise InvalidValueError(f"study {self.label!r} has no finished runs with metrics")
        return self.metric_columns[0]

    @property
    def metric_columns(self) -> list[str]:
        """The ``metrics.*`` columns."""
        return [str(c) for c in self.frame.columns if str(c).startswith("metrics.")]

    def direction(self, column: str) -> str:
        """The declared direction of a metric column (``min`` when none is declared)."""
        return self.directions.get(short(column), "min")


def load_study_runs(
    study: Any, store: Store | str | Path | None = None, *, states: Sequence[str] = ("completed",)
) -> StudyRuns:
    """Completed runs of a study (a :class:`~hyperlab.Study`, ``name`` or ``name@version``)."""
    from hyperlab.querying.frames import query
    from hyperlab.querying.selection import as_store, select_studies

    if hasattr(study, "store") and hasattr(study, "name"):
        target = study.store
        name = f"{study.name}@{study.version}" if study.version else study.name
    else:
        target = as_store(store)
        name = str(study)
    records: list[StudyRecord] = select_studies(target, name)
    directions: dict[str, str] = {}
    for record in records:
        for key, value in record.directions.items():
            directions.setdefault(key, value)
    frame = query(None, study=name, store=target)
    frame = frame[frame["state"].isin(list(states))]
    frame = frame.sort_values(["created", "number"], kind="stable")
    return StudyRuns(name, frame, directions)


def history(
    study: Any, metric: str | None = None, *, store: Store | str | Path | None = None
) -> Figure:
    """Optimization history: the metric of each completed run in order, and the best so far.

    Args:
        study: A study handle, ``name`` or ``name@version``.
        metric: The metric (default: the study's main metric).
        store: A store, URL, or None for the default store (ignored for a study handle).

    Returns:
        A :class:`~hyperlab.viz.figure.Figure`.
    """
    data = load_study_runs(study, store)
    column = data.metric(metric)
    values = _column(data.frame, column)
    refs = [f"{s}/{n}" for s, n in zip(data.frame["study"], data.frame["number"], strict=True)]
    xs, ys, hover = [], [], []
    for i, (value, ref) in enumerate(zip(values, refs, strict=True)):
        if isinstance(value, (int, float)) and math.isfinite(value):
            xs.append(i + 1)
            ys.append(float(value))
            hover.append(ref)
    best = running_best(ys, data.direction(column))
    panel = Panel(0, 0, xlabel="trial (completed runs in order)", ylabel=short(column))
    panel.traces = [
        Trace("value", xs, ys, mode="markers", role="points", color=0, hover=hover),
        Trace("best so far", xs, best, mode="lines", role="running_best", color=3),
    ]
    return Figure(FigureSpec(title=f"{data.label}: optimization history", panels=[panel]))


def running_best(values: Sequence[float], direction: str) -> list[float]:
    """The best value seen up to each position."""
    out: list[float] = []
    for value in values:
        if not out:
            out.append(value)
        elif direction == "max":
            out.append(max(out[-1], value))
        else:
            out.append(min(out[-1], value))
    return out


def importance_scores(frame: pd.DataFrame, column: str) -> dict[str, float]:
    """Share of the metric's variance explained by each varying param (correlation ratio η²).

    Numeric params with many values are cut into up to ten quantile bins. Scores lie in [0, 1];
    params that do not vary are left out.
    """
    import numpy as np
    import pandas as pd

    y = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64)
    ok = np.isfinite(y)
    scores: dict[str, float] = {}
    if ok.sum() < 2:
        return scores
    total = float(np.var(y[ok]))
    for name in [str(c) for c in frame.columns if str(c).startswith("params.")]:
        values = _column(frame, name)
        if len({repr(v) for v in values}) < 2:
            continue
        if _is_numeric(values) and len(set(values)) > IMPORTANCE_BINS:
            numbers = pd.Series([math.nan if v is None else float(v) for v in values])
            groups = pd.qcut(numbers.rank(method="first"), IMPORTANCE_BINS, labels=False)
            keys = [repr(g) for g in groups]
        else:
            keys = [repr(v) for v in values]
        key_arr = np.asarray(keys, dtype=object)[ok]
        yy = y[ok]
        between = 0.0
        for key in set(key_arr.tolist()):
            part = yy[key_arr == key]
            between += len(part) * (float(part.mean()) - float(yy.mean())) ** 2
        scores[short(name)] = 0.0 if total == 0 else between / len(yy) / total
    return dict(sorted(scores.items(), key=lambda kv: -kv[1]))


def importance(
    study: Any, metric: str | None = None, *, store: Store | str | Path | None = None
) -> Figure:
    """Param importance: how much of the metric's variance each param explains (η²).

    Args:
        study: A study handle, ``name`` or ``name@version``.
        metric: The metric (default: the study's main metric).
        store: A store, URL, or None for the default store (ignored for a study handle).

    Returns:
        A :class:`~hyperlab.viz.figure.Figure` with horizontal bars, most important on top.
    """
    data = load_study_runs(study, store)
    column = data.metric(metric)
    scores = importance_scores(data.frame, column)
    names = list(reversed(scores))
    panel = Panel(0, 0, xlabel=f"share of {short(column)} variance explained", ylabel="param")
    panel.traces = [
        Trace("importance", [scores[n] for n in names], names, mode="bar", role="bar", color=0)
    ]
    return Figure(FigureSpec(title=f"{data.label}: param importance", panels=[panel]))


def pareto_mask(points: Sequence[Sequence[float]], directions: Sequence[str]) -> list[bool]:
    """Which points are not dominated by another (better or equal everywhere, better once)."""
    signs = [1.0 if d == "min" else -1.0 for d in directions]
    costs = [[s * v for s, v in zip(signs, p, strict=True)] for p in points]
    mask = []
    for i, a in enumerate(costs):
        dominated = any(
            all(bj <= aj for aj, bj in zip(a, b, strict=True))
            and any(bj < aj for aj, bj in zip(a, b, strict=True))
            for j, b in enumerate(costs)
            if j != i
        )
        mask.append(not dominated)
    return mask


def pareto(
    study: Any,
    metrics: Sequence[str] | None = None,
    *,
    store: Store | str | Path | None = None,
) -> Figure:
    """The Pareto front of two metrics: every completed run, the non-dominated ones joined.

    Args:
        study: A study handle, ``name`` or ``name@version``.
        metrics: Two metric names (default: the study's first two declared directions).
        store: A store, URL, or None for the default store (ignored for a study handle).

    Returns:
        A :class:`~hyperlab.viz.figure.Figure`.
    """
    data = load_study_runs(study, store)
    names = list(metrics) if metrics is not None else list(data.directions)[:2]
    if len(names) != 2:
        raise InvalidValueError(
            f"pareto needs exactly two metrics, got {names!r}; pass metrics=[a, b] or declare "
            "two directions on the study"
        )
    cols = [data.metric(n) for n in names]
    xs_all, ys_all = _column(data.frame, cols[0]), _column(data.frame, cols[1])
    refs = [f"{s}/{n}" for s, n in zip(data.frame["study"], data.frame["number"], strict=True)]
    rows = [
        (float(a), float(b), r)
        for a, b, r in zip(xs_all, ys_all, refs, strict=True)
        if isinstance(a, (int, float)) and isinstance(b, (int, float))
    ]
    mask = pareto_mask([(a, b) for a, b, _ in rows], [data.direction(c) for c in cols])
    front = sorted((row for row, keep in zip(rows, mask, strict=True) if keep), key=lambda r: r[0])
    panel = Panel(0, 0, xlabel=short(cols[0]), ylabel=short(cols[1]))
    panel.traces = [
        Trace(
            "runs",
            [r[0] for r in rows],
            [r[1] for r in rows],
            mode="markers",
            role="points",
            color=7,
            hover=[r[2] for r in rows],
        ),
        Trace(
            "Pareto front",
            [r[0] for r in front],
            [r[1] for r in front],
            mode="lines+markers",
            role="front",
            color=3,
            hover=[r[2] for r in front],
        ),
    ]
    return Figure(FigureSpec(title=f"{data.label}: Pareto front", panels=[panel]))
