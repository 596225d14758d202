"""Configurations: runs with equal effective params (identity) and their summaries.

Two runs are the same configuration when their effective params (study defaults, conditional
ones too, overlaid by the run's own params) are equal, floats within a tolerance. A param added
later and passed at its default value therefore matches the older runs that lack it.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from hyperlab.querying.effective import matches
from hyperlab.store import Store, StudyRecord
from hyperlab.store.schema import runs

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["config_stats", "effective_of", "find_runs"]

STATS = ("mean", "std", "min", "max", "count")
"""The summary of each metric per configuration, in column order."""


def effective_of(record: StudyRecord, params: Mapping[str, Any]) -> dict[str, Any]:
    """The effective params (flat) of ``params`` under the study's defaults."""
    from hyperlab.space.defaults import effective_params

    return effective_params(params, record.defaults, matches)


def find_runs(
    store: Store,
    record: StudyRecord,
    params: Mapping[str, Any],
    *,
    states: Collection[str] | None = None,
    rel_tol: float = 1e-9,
    abs_tol: float = 1e-12,
) -> list[int]:
    """Ids of the study's runs that are the same configuration as ``params``, oldest first.

    Args:
        store: The store.
        record: The study.
        params: A configuration, nested or flat (the study's defaults apply to it too).
        states: Only runs in these states (default: every state).
        rel_tol: Relative tolerance for floats.
        abs_tol: Absolute tolerance for floats.
    """
    from hyperlab.space.defaults import same_config

    query = sa.select(runs.c.id).where(runs.c.study_id == record.id).order_by(runs.c.id)
    if states is not None:
        query = query.where(runs.c.state.in_(list(states)))
    with store.read() as conn:
        ids = [int(i) for i in conn.execute(query).scalars()]
    want = effective_of(record, params)
    return [
        run.id
        for run in store.get_runs(ids)
        if same_config(want, effective_of(record, run.params), rel_tol, abs_tol)
    ]


def _present(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, float):
        return not math.isnan(value)
    return type(value).__name__ != "NAType"


def _plain(value: Any) -> Any:
    item = getattr(value, "item", None)  # numpy scalars
    return item() if callable(item) and not isinstance(value, (list, dict)) else value


def config_stats(frame: pd.DataFrame, ignore: Sequence[str] = ("seed",)) -> pd.DataFrame:
    """One row per configuration of a query's runs: each metric's mean, std, min, max, count.

    Args:
        frame: A frame from :func:`hyperlab.query` (``params.*`` effective, ``metrics.*``).
        ignore: Params left out of the configuration (repetitions differ only by ``seed``).

    Returns:
        A frame indexed by ``config`` (the configuration's hash), in order of each
        configuration's first run in ``frame``, with the ``params.*`` of the configuration,
        ``runs`` (how many runs it has) and ``metrics.<name>.<stat>`` for each stat in
        :data:`STATS` (``std`` is the sample standard deviation, 0 for a single value; ``count``
        counts the runs that have the metric).
    """
    import pandas as pd

    from hyperlab.space.hashing import params_hash

    skip = {f"params.{name}" for name in ignore}
    param_cols = [c for c in frame.columns if c.startswith("params.") and c not in skip]
    metric_cols = [c for c in frame.columns if c.startswith("metrics.")]
    param_values = {c: frame[c].tolist() for c in param_cols}
    metric_values = {c: frame[c].tolist() for c in metric_cols}
    groups: dict[str, tuple[dict[str, Any], list[int]]] = {}
    for i in range(len(frame)):
        config = {
            c[len("params.") :]: _plain(param_values[c][i])
            for c in param_cols
            if _present(param_values[c][i])
        }
        groups.setdefault(params_hash(config), (config, []))[1].append(i)
    rows: list[dict[str, Any]] = []
    for config, members in groups.values():
        row: dict[str, Any] = {c: config.get(c[len("params.") :]) for c in param_cols}
        row["runs"] = len(members)
        for c in metric_cols:
            values = [float(v) for v in (metric_values[c][i] for i in members) if _present(v)]
            row.update(_stats(c, values))
        rows.append(row)
    columns = [*param_cols, "runs", *(f"{c}.{s}" for c in metric_cols for s in STATS)]
    index = pd.Index(list(groups), name="config", dtype="object")
    result = pd.DataFrame(rows, columns=columns, index=index)
    for c in metric_cols:
        result[f"{c}.count"] = result[f"{c}.count"].astype("int64")
    return result


def _stats(column: str, values: list[float]) -> dict[str, float | int]:
    import statistics

    nan = float("nan")
    if not values:
        return {f"{column}.{s}": (0 if s == "count" else nan) for s in STATS}
    return {
        f"{column}.mean": statistics.fmean(values),
        f"{column}.std": statistics.stdev(values) if len(values) > 1 else 0.0,
        f"{column}.min": min(values),
        f"{column}.max": max(values),
        f"{column}.count": len(values),
    }
