"""Results of a study's searches: the best run, its params, a ranked table, the Pareto front."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hyperlab.search.history import PastTrial, load_trials
from hyperlab.search.target import Target, resolve_target
from hyperlab.store import FINISHED_STATES, RunRecord, RunState

if TYPE_CHECKING:
    import pandas as pd

    from hyperlab.tracking.study import Study


def _target(study: Study, metric: str | Sequence[str] | None, direction: Any) -> Target:
    return resolve_target(study, metric, direction)


def ranked_trials(
    study: Study,
    metric: str | None = None,
    direction: str | None = None,
    *,
    states: Sequence[str] = (RunState.COMPLETED.value,),
    extra_metrics: Sequence[str] = (),
) -> list[PastTrial]:
    """The study's runs in these states, best first by ``metric`` (runs without it last)."""
    target = _target(study, metric, direction)
    names = [*target.metrics, *(m for m in extra_metrics if m not in target.metrics)]
    trials = load_trials(study.store, [study.refresh().record], names, states=states)
    sign = -1.0 if target.directions[0] == "max" else 1.0

    def key(trial: PastTrial) -> tuple[int, float, int]:
        values = trial.objective(target.metrics)
        return (0, sign * values[0], trial.run_id) if values else (1, 0.0, trial.run_id)

    return sorted(trials, key=key)


def best_run(
    study: Study, metric: str | None = None, direction: str | None = None
) -> RunRecord | None:
    """The completed run with the best value of ``metric`` (default: the main metric)."""
    target = _target(study, metric, direction)
    ranked = ranked_trials(study, metric, direction)
    if not ranked or ranked[0].objective(target.metrics) is None:
        return None
    return study.store.get_run(ranked[0].run_id)


def best_params(
    study: Study, metric: str | None = None, direction: str | None = None
) -> dict[str, Any]:
    """The effective params (defaults applied) of the best completed run, for production use.

    Raises:
        NotFoundError: when no completed run has a value for the metric.
    """
    from hyperlab.errors import NotFoundError

    ranked = ranked_trials(study, metric, direction)
    target = _target(study, metric, direction)
    if not ranked or ranked[0].objective(target.metrics) is None:
        raise NotFoundError(
            f"study {study.record.label!r} has no completed run with a value for "
            f"{target.metrics[0]!r}"
        )
    return dict(ranked[0].params)


def trials_frame(
    study: Study,
    metric: str | None = None,
    direction: str | None = None,
    *,
    states: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The study's finished runs as a DataFrame sorted best first by the metric.

    Columns: ``number``, ``state``, ``params.*`` (effective), then the metric and the study's
    other declared metrics; indexed by run id.
    """
    import pandas as pd

    chosen = [s.value for s in FINISHED_STATES] if states is None else list(states)
    target = _target(study, metric, direction)
    metrics = [*target.metrics, *(m for m in study.directions if m not in target.metrics)]
    ranked = ranked_trials(study, metric, direction, states=chosen, extra_metrics=metrics)
    names = sorted({k for t in ranked for k in t.params})
    rows = []
    for trial in ranked:
        row: dict[str, Any] = {"number": trial.number, "state": trial.state}
        row.update({f"params.{k}": trial.params.get(k) for k in names})
        row.update({m: trial.values.get(m) for m in metrics})
        rows.append(row)
    index = pd.Index([t.run_id for t in ranked], name="run_id", dtype="int64")
    columns = ["number", "state", *(f"params.{k}" for k in names), *metrics]
    return pd.DataFrame(rows, index=index, columns=columns)


def pareto_front(
    study: Study,
    metrics: Sequence[str] | None = None,
    directions: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Completed runs that no other run beats on every metric (default: all declared metrics).

    Returns:
        A DataFrame like :func:`trials_frame`, sorted by the first metric.
    """
    chosen = list(metrics) if metrics is not None else list(study.directions)
    target = resolve_target(study, chosen, directions)
    trials = [
        t
        for t in load_trials(
            study.store,
            [study.refresh().record],
            target.metrics,
            states=[RunState.COMPLETED.value],
        )
        if t.objective(target.metrics) is not None
    ]
    signs = [-1.0 if d == "max" else 1.0 for d in target.directions]
    points = {
        t.run_id: [s * v for s, v in zip(signs, t.objective(target.metrics) or [], strict=True)]
        for t in trials
    }

    def dominated(a: list[float]) -> bool:
        return any(
            all(x <= y for x, y in zip(b, a, strict=True)) and b != a for b in points.values()
        )

    front = {run_id for run_id, p in points.items() if not dominated(p)}
    frame = trials_frame(
        study, target.metrics[0], target.directions[0], states=[RunState.COMPLETED.value]
    )
    by_id = {t.run_id: t for t in trials}
    for name in target.metrics[1:]:
        if name not in frame.columns:
            frame[name] = [by_id[i].values.get(name) if i in by_id else None for i in frame.index]
    return frame[frame.index.isin(sorted(front))]


def config_summary(
    study: Study,
    metric: str | None = None,
    direction: str | None = None,
    *,
    ignore: Sequence[str] = ("seed",),
) -> pd.DataFrame:
    """One row per configuration (effective params, ``seed`` ignored): the metric's mean, std,
    min, max and count over its completed repetitions, best mean first (HPSearch's summaries).
    """
    import math
    import statistics

    import pandas as pd

    from hyperlab.space.hashing import params_hash

    target = _target(study, metric, direction)
    name = target.metrics[0]
    groups: dict[str, tuple[dict[str, Any], list[float]]] = {}
    for trial in ranked_trials(study, metric, direction):
        value = trial.values.get(name)
        if value is None or math.isnan(value):
            continue
        config = {k: v for k, v in trial.params.items() if k not in ignore}
        groups.setdefault(params_hash(config), (config, []))[1].append(value)
    keys = sorted({k for config, _ in groups.values() for k in config})
    rows = []
    for config, values in groups.values():
        row: dict[str, Any] = {f"params.{k}": config.get(k) for k in keys}
        row.update(
            mean=statistics.fmean(values),
            std=statistics.stdev(values) if len(values) > 1 else 0.0,
            min=min(values),
            max=max(values),
            count=len(values),
        )
        rows.append(row)
    columns = [*(f"params.{k}" for k in keys), "mean", "std", "min", "max", "count"]
    frame = pd.DataFrame(rows, columns=columns)
    ascending = target.directions[0] == "min"
    return frame.sort_values("mean", ascending=ascending, kind="stable").reset_index(drop=True)
