"""``hl.query`` and ``hl.history``: runs and metric points as pandas DataFrames.

A query runs in two steps: the compiled filter and sort select run ids in SQL (indexed lookups,
``LIMIT`` applied in the database), then the rows for those ids are fetched in bulk and shaped
into a frame. Params come from the canonical JSON kept on each run row, summaries from the
``metrics`` table; nothing scans metric points.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hyperlab.errors import InvalidValueError
from hyperlab.querying.compiler import QueryContext
from hyperlab.querying.selection import (
    as_store,
    build_context,
    default_sort,
    refresh_states,
    select_ids,
    select_studies,
)
from hyperlab.querying.table import bulk_allocation, collect
from hyperlab.store import Store

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from hyperlab.store.lineage import StitchedPoints
    from hyperlab.store.reads import Points


def query(
    expr: str | None = None,
    *,
    study: str | Sequence[str] | None = None,
    version: str | None = None,
    sort: str | None = None,
    limit: int | None = None,
    columns: Sequence[str] | None = None,
    store: Store | str | Path | None = None,
    group_by: str | None = None,
) -> pd.DataFrame:
    """Find runs with the query language and return them as a DataFrame.

    Args:
        expr: A filter such as ``'lr < 0.01 and optim.name in ["adam", "sgd"]'``
            (see docs/query.md). None or empty selects every run.
        study: A study name (all its versions), ``name@version``, or a list of them.
        version: Restrict to this version of ``study``.
        sort: Comma-separated names, ``-`` for descending: ``"-val_acc,lr"``. Default: best
            first by the study's main metric, else oldest first.
        limit: At most this many runs.
        columns: Keep only these columns (short names like ``lr`` or full ones like
            ``params.lr``); the default keeps run fields, all params and all metrics.
        store: A store, URL, or None for the default store.
        group_by: ``"config"``: one row per configuration (equal effective params, ``seed``
            ignored) with each metric's mean, std, min, max and count (see
            :func:`hyperlab.querying.configs.config_stats`); with ``columns``, only the chosen
            params form the configuration.

    Returns:
        A DataFrame indexed by run id (``run_id``) with run fields, ``params.*`` (effective
        values: declared defaults fill in missing params) and ``metrics.*`` (summary values).
    """
    if group_by is not None and group_by != "config":
        raise InvalidValueError(f"group_by must be 'config' or None, got {group_by!r}")
    target = as_store(store)
    refresh_states(target)
    records = select_studies(target, study, version)
    if not records:
        return build_frame(target, [], QueryContext(frozenset(), frozenset(), frozenset(), {}, {}))
    ctx = build_context(target, records)
    with bulk_allocation():
        ids = select_ids(target, expr, records, ctx, sort or default_sort(records), limit)
        frame = build_frame(target, ids, ctx)
    if columns:
        frame = frame[resolve_columns(frame, columns)]
    if group_by == "config":
        from hyperlab.querying.configs import config_stats

        return config_stats(frame)
    return frame


def resolve_columns(frame: pd.DataFrame, columns: Iterable[str]) -> list[str]:
    """Map short names (``lr``) to frame columns (``params.lr``), with a clear error."""
    chosen = []
    for name in columns:
        for candidate in (name, f"params.{name}", f"metrics.{name}", f"meta.{name}"):
            if candidate in frame.columns:
                chosen.append(candidate)
                break
        else:
            raise InvalidValueError(
                f"unknown column {name!r}; available: {', '.join(map(str, frame.columns))}"
            )
    return chosen


def build_frame(store: Store, ids: Sequence[int], ctx: QueryContext) -> pd.DataFrame:
    """The DataFrame for these run ids, in the order given."""
    import numpy as np
    import pandas as pd

    table = collect(store, ids, ctx)
    data: dict[str, Any] = {}
    for name, values in table.columns.items():
        if name in {"created", "started", "ended"}:
            data[name] = pd.to_datetime(np.array(values, dtype="float64"), unit="s", utc=True)
        elif name in {"study", "version", "name", "state", "host", "tags"}:
            data[name] = pd.array(values, dtype="object")
        elif name == "number":
            data[name] = pd.array(values, dtype="int64")
        else:
            data[name] = _typed(values)
    index = pd.Index(list(table.ids), name="run_id", dtype="int64")
    return pd.DataFrame(data, index=index, copy=False)


def _typed(values: list[Any]) -> Any:
    """A column with a numeric dtype when every value is a number (bools stay bool)."""
    import numpy as np
    import pandas as pd

    kinds = set(map(type, values))  # one C-level pass instead of isinstance per value
    kinds.discard(type(None))
    if kinds == {bool}:
        return pd.array(values, dtype="boolean")
    if kinds == {int}:
        return pd.array(values, dtype="Int64")
    if kinds and kinds <= {int, float}:
        # None becomes NaN in a float64 array.
        return np.array(values, dtype="float64")
    return pd.array(values, dtype="object")


def history(
    runs_: Any,
    keys: str | Sequence[str] | None = None,
    *,
    store: Store | str | Path | None = None,
    stitched: bool = False,
) -> pd.DataFrame:
    """Metric points of runs in long form: columns run_id, key, step, value, time.

    Args:
        runs_: A DataFrame from :func:`query` (its index), a run id, a reference such as
            ``"mnist/3"`` / ``"last"``, a :class:`~hyperlab.tracking.run.Run`, or a list of those.
        keys: Metric keys to include (default: all).
        store: A store, URL, or None for the default store.
        stitched: Put each run's ancestors' points up to each fork step in front of its own
            (forks and extensions then show one continuous curve); adds ``source_run_id``.
    """
    target = as_store(store)
    ids = resolve_run_ids(target, runs_)
    key_list = [keys] if isinstance(keys, str) else (list(keys) if keys is not None else None)
    if stitched:
        from hyperlab.querying.lineage import stitched_history

        return stitched_history(target, ids, key_list)
    points = target.read_points(ids, key_list)
    order = {run_id: i for i, run_id in enumerate(ids)}
    points.sort(key=lambda p: (order[p.run_id], p.key))
    return points_frame(points)


def points_frame(
    points: Sequence[Points | StitchedPoints],
    sources: Sequence[np.ndarray[Any, Any]] | None = None,
) -> pd.DataFrame:
    """Long-form points: ``run_id``, ``key``, ``step``, ``value``, ``time`` (UTC), one row a point.

    Args:
        points: Each run's points of one key, in row order.
        sources: Per entry of ``points``, the id of the run that logged each point; given, it
            becomes a ``source_run_id`` column (also when there are no points).
    """
    import numpy as np
    import pandas as pd

    if not points:
        empty = {
            "run_id": pd.Series([], dtype="int64"),
            "key": pd.Series([], dtype="object"),
            "step": pd.Series([], dtype="int64"),
            "value": pd.Series([], dtype="float64"),
            "time": pd.Series([], dtype="datetime64[ns, UTC]"),
        }
        if sources is not None:
            empty["source_run_id"] = pd.Series([], dtype="int64")
        return pd.DataFrame(empty)
    columns = {
        "run_id": np.concatenate([np.full(len(p.steps), p.run_id) for p in points]),
        "key": np.concatenate([np.full(len(p.steps), p.key, dtype=object) for p in points]),
        "step": np.concatenate([p.steps for p in points]),
        "value": np.concatenate([p.values for p in points]),
        "time": pd.to_datetime(np.concatenate([p.times for p in points]), unit="s", utc=True),
    }
    if sources is not None:
        columns["source_run_id"] = np.concatenate(sources)
    return pd.DataFrame(columns)


def resolve_run_ids(store: Store, refs: Any) -> list[int]:
    """Run ids from a DataFrame, ids, references, Run objects, or a list of them."""
    index = getattr(refs, "index", None)
    if index is not None and getattr(index, "name", None) == "run_id":
        return [int(i) for i in index]
    if isinstance(refs, (str, int)) or hasattr(refs, "ref"):
        refs = [refs]
    ids = []
    for ref in refs:
        run_id = getattr(ref, "id", None)
        ids.append(int(run_id) if isinstance(run_id, int) else store.resolve_run(ref))
    return ids
