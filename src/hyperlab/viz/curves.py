"""Learning curves: which runs, their points (stitched across lineage), labels, best steps."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hyperlab.errors import InvalidValueError
from hyperlab.store import RunRecord, Store
from hyperlab.viz.figure import Figure
from hyperlab.viz.series import best_index, downsample, smooth_ema
from hyperlab.viz.spec import FigureSpec, Panel, Trace

if TYPE_CHECKING:
    import numpy as np

    FloatArray = np.ndarray[Any, np.dtype[np.float64]]

X_AXES = ("step", "time")
MAX_LINEAGE_DEPTH = 64
LEGEND_PARAMS = 4
_REF = re.compile(r"^(\d+|last|best|[^\s/]+/\d+)$")


@dataclass
class Curve:
    """The prepared curve of one run.

    Attributes:
        run_id: The run.
        ref: Its short form ``study/number``.
        label: Legend text: the ref and the params that differ between the plotted runs.
        state: The run's state.
        x: Steps (or seconds since the first point when plotting against time).
        y: Values (smoothed when asked), possibly downsampled.
        best: ``(x, y)`` of the best raw value by the metric's direction, if any.
        forks: X positions where the curve passes from a parent run to its child.
    """

    run_id: int
    ref: str
    label: str
    state: str
    x: FloatArray
    y: FloatArray
    best: tuple[float, float] | None = None
    forks: list[float] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """Plain lists for the JSON API (NaN and infinities become null)."""
        import numpy as np

        y = [None if not np.isfinite(v) else float(v) for v in self.y]
        return {
            "run_id": self.run_id,
            "ref": self.ref,
            "label": self.label,
            "state": self.state,
            "x": [float(v) for v in self.x],
            "y": y,
            "best": None if self.best is None else {"x": self.best[0], "y": self.best[1]},
            "forks": self.forks,
        }


def select_run_ids(
    store: Store,
    runs: Any,
    *,
    study: str | Sequence[str] | None = None,
    limit: int | None = None,
) -> list[int]:
    """Run ids from a query expression, a DataFrame from ``hl.query``, ids, refs or Run objects.

    A string that looks like a reference (``42``, ``mnist/3``, ``last``, ``best``) names one run;
    any other string is a query expression (see docs/query.md).
    """
    from hyperlab.querying.frames import resolve_run_ids

    if isinstance(runs, str) and not _REF.match(runs.strip()):
        from hyperlab.querying.frames import query

        frame = query(runs, study=study, limit=limit, columns=["state"], store=store)
        return [int(i) for i in frame.index]
    if runs is None:
        from hyperlab.querying.frames import query

        frame = query(None, study=study, limit=limit, columns=["state"], store=store)
        return [int(i) for i in frame.index]
    if isinstance(runs, str):
        return [store.resolve_run(runs.strip(), None if not isinstance(study, str) else study)]
    return resolve_run_ids(store, runs)


def load_curves(
    store: Store,
    run_ids: Sequence[int],
    metric: str,
    *,
    x: str = "step",
    smooth: float = 0.0,
    stitched: bool = True,
    direction: str | None = None,
    max_points: int | None = None,
) -> list[Curve]:
    """Prepare one curve per run (runs without points for ``metric`` are left out).

    Args:
        store: Where the runs are.
        run_ids: The runs, in legend order.
        metric: The metric key.
        x: ``step`` or ``time`` (seconds since the curve's first point).
        smooth: Exponential smoothing weight in [0, 1).
        stitched: Prepend the parent run's points up to the fork step (resumed/forked runs).
        direction: ``min`` or ``max`` to pick the best point; default: the study's declared
            direction for the metric, else ``min``.
        max_points: Downsample each curve to at most this many points, keeping extremes.

    Returns:
        The curves, in the order of ``run_ids``.
    """
    import numpy as np

    if x not in X_AXES:
        raise InvalidValueError(f"x must be one of {', '.join(X_AXES)}; got {x!r}")
    records = store.get_runs(list(run_ids))
    labels = run_labels(store, records)
    directions: dict[int, dict[str, str]] = {}
    curves = []
    for record in records:
        steps, values, times, forks = _stitched_points(store, record, metric, stitched)
        if len(steps) == 0:
            continue
        if record.study_id not in directions:
            directions[record.study_id] = store.study_by_id(record.study_id).directions
        chosen = direction or directions[record.study_id].get(metric, "min")
        xs = steps.astype(np.float64) if x == "step" else times - times[0]
        best = best_index(values, chosen)
        best_point = None if best is None else (float(xs[best]), float(values[best]))
        ys = smooth_ema(values, smooth) if smooth else values
        if max_points is not None:
            xs, ys = downsample(xs, ys, max_points)
        fork_x = [float(f) for f in forks] if x == "step" else []
        curves.append(
            Curve(
                record.id, record.ref, labels[record.id], record.state, xs, ys, best_point, fork_x
            )
        )
    return curves


def _stitched_points(
    store: Store, record: RunRecord, metric: str, stitched: bool
) -> tuple[FloatArray, FloatArray, FloatArray, list[int]]:
    """Points of the run, preceded (when stitched) by its ancestors' points up to each fork."""
    import numpy as np

    chain: list[tuple[RunRecord, int | None]] = [(record, None)]
    current = record
    seen = {record.id}
    while stitched and current.parent_run_id is not None and len(chain) < MAX_LINEAGE_DEPTH:
        if current.parent_run_id in seen:
            break
        parent = store.get_run(current.parent_run_id)
        chain.append((parent, current.fork_step))
        seen.add(parent.id)
        current = parent
    chain.reverse()  # oldest ancestor first; each entry carries the step its child forked at
    by_run = {p.run_id: p for p in store.read_points([r.id for r, _ in chain], [metric])}
    parts_s, parts_v, parts_t, forks = [], [], [], []
    for i, (run, fork) in enumerate(chain):
        points = by_run.get(run.id)
        if points is None:
            continue
        keep = np.ones(len(points.steps), dtype=bool)
        if i + 1 < len(chain):
            if fork is not None:
                keep = points.steps <= fork
                forks.append(fork)
            elif len(points.steps):
                forks.append(int(points.steps[-1]))
        parts_s.append(points.steps[keep])
        parts_v.append(points.values[keep])
        parts_t.append(points.times[keep])
    if not parts_s:
        empty = np.zeros(0, dtype=np.float64)
        return empty, empty, empty, []
    return (
        np.concatenate(parts_s).astype(np.float64),
        np.concatenate(parts_v),
        np.concatenate(parts_t),
        forks,
    )


def run_labels(store: Store, records: Sequence[RunRecord]) -> dict[int, str]:
    """``ref  k=v, ...`` naming (up to four of) the effective params that differ between runs."""
    from hyperlab.querying.effective import matches
    from hyperlab.space.defaults import effective_params

    defaults: dict[int, list[dict[str, Any]]] = {}
    effective = {}
    for record in records:
        if record.study_id not in defaults:
            defaults[record.study_id] = store.study_by_id(record.study_id).defaults
        effective[record.id] = effective_params(record.params, defaults[record.study_id], matches)
    keys = sorted({k for params in effective.values() for k in params})
    differing = [k for k in keys if len({repr(p.get(k)) for p in effective.values()}) > 1][
        :LEGEND_PARAMS
    ]
    labels = {}
    for record in records:
        parts = [f"{k}={_short(effective[record.id].get(k))}" for k in differing]
        labels[record.id] = record.ref + (" " + ", ".join(parts) if parts else "")
    return labels


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def curves(
    runs: Any,
    metric: str,
    *,
    study: str | Sequence[str] | None = None,
    x: str = "step",
    smooth: float = 0.0,
    stitched: bool = True,
    mark_best: bool = True,
    direction: str | None = None,
    limit: int | None = 20,
    max_points: int | None = 5000,
    store: Store | str | Path | None = None,
) -> Figure:
    """One line per run for ``metric``, best step marked, lineage fork points marked.

    Args:
        runs: A query expression (``'lr < 0.01'``), a DataFrame from ``hl.query``, a run id,
            a reference (``mnist/3``, ``best``) or a list of those.
        metric: The metric to plot.
        study: Restrict an expression to this study (or list of studies).
        x: ``step`` or ``time`` (seconds since the curve's first point).
        smooth: Exponential smoothing weight in [0, 1) (the best mark uses raw values).
        stitched: Show a resumed or forked run's curve continuing its parent's.
        mark_best: Mark each run's best value with a star.
        direction: ``min``/``max`` for "best" (default: the study's declared direction).
        limit: At most this many runs when ``runs`` is an expression (best first).
        max_points: Downsample each curve to this many points, keeping extremes (None: all).
        store: A store, URL, or None for the default store.

    Returns:
        A :class:`~hyperlab.viz.figure.Figure`; ``fig.save("curves.png")`` or ``.html``.
    """
    from hyperlab.querying.selection import as_store

    target = as_store(store)
    ids = select_run_ids(target, runs, study=study, limit=limit)
    prepared = load_curves(
        target,
        ids,
        metric,
        x=x,
        smooth=smooth,
        stitched=stitched,
        direction=direction,
        max_points=max_points,
    )
    return Figure(curves_spec(prepared, metric, x=x, mark_best=mark_best))


def curves_spec(prepared: Sequence[Curve], metric: str, *, x: str, mark_best: bool) -> FigureSpec:
    """The figure spec of prepared curves: a line per run, then best and fork markers."""
    panel = Panel(0, 0, xlabel="step" if x == "step" else "seconds", ylabel=metric)
    for i, curve in enumerate(prepared):
        panel.traces.append(
            Trace(curve.label, curve.x.tolist(), curve.y.tolist(), color=i, run_id=curve.run_id)
        )
    for i, curve in enumerate(prepared):
        if mark_best and curve.best is not None:
            panel.traces.append(
                Trace(
                    f"best of {curve.ref}",
                    [curve.best[0]],
                    [curve.best[1]],
                    mode="markers",
                    role="best",
                    color=i,
                    symbol="star",
                    size=12,
                    show_legend=False,
                    hover=[
                        f"best {metric} of {curve.ref}: {curve.best[1]:.6g} at {curve.best[0]:g}"
                    ],
                    run_id=curve.run_id,
                )
            )
        if curve.forks:
            ys = [_value_at(curve, f) for f in curve.forks]
            panel.traces.append(
                Trace(
                    f"fork of {curve.ref}",
                    list(curve.forks),
                    ys,
                    mode="markers",
                    role="fork",
                    color=i,
                    symbol="diamond",
                    size=9,
                    show_legend=False,
                    hover=[f"{curve.ref} forked at step {f:g}" for f in curve.forks],
                    run_id=curve.run_id,
                )
            )
    return FigureSpec(title=f"{metric} by {x}", panels=[panel])


def _value_at(curve: Curve, x: float) -> float | None:
    import numpy as np

    index = int(np.searchsorted(curve.x, x, side="right")) - 1
    if index < 0:
        return None
    value = float(curve.y[index])
    return value if np.isfinite(value) else None
