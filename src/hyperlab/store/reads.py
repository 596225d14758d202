"""Bulk reads: metric points decoded from chunks, summaries and keys known to studies."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from hyperlab.store import rawsql
from hyperlab.store.schema import metric_chunks, metrics, runs, study_keys

if TYPE_CHECKING:
    import numpy as np


@dataclass
class Points:
    """Decoded points of one (run, key): parallel numpy arrays sorted by step."""

    run_id: int
    key: str
    steps: np.ndarray[Any, np.dtype[np.int64]]
    values: np.ndarray[Any, np.dtype[np.float64]]
    times: np.ndarray[Any, np.dtype[np.float64]]


def read_points(
    conn: sa.Connection, run_ids: Sequence[int], keys: Sequence[str] | None = None
) -> list[Points]:
    """All points of the given runs (and keys), one entry per (run, key), sorted by step.

    Points re-logged at the same step are all kept, in logging order.
    """
    import numpy as np

    if not run_ids:
        return []
    step_type, float_type = np.dtype("<i8"), np.dtype("<f8")
    query = (
        sa.select(
            metric_chunks.c.run_id,
            metric_chunks.c.key,
            metric_chunks.c.steps,
            metric_chunks.c["values"],
            metric_chunks.c.times,
        )
        .where(metric_chunks.c.run_id.in_(list(run_ids)))
        .order_by(metric_chunks.c.run_id, metric_chunks.c.key, metric_chunks.c.id)
    )
    if keys:
        query = query.where(metric_chunks.c.key.in_(list(keys)))
    grouped: dict[tuple[int, str], list[tuple[bytes, bytes, bytes]]] = {}
    for run_id, key, steps, values, times in conn.execute(query):
        grouped.setdefault((run_id, key), []).append((steps, values, times))
    result = []
    for (run_id, key), parts in grouped.items():
        steps_arr = np.concatenate([np.frombuffer(p[0], dtype=step_type) for p in parts])
        values_arr = np.concatenate([np.frombuffer(p[1], dtype=float_type) for p in parts])
        times_arr = np.concatenate([np.frombuffer(p[2], dtype=float_type) for p in parts])
        order = np.argsort(steps_arr, kind="stable")
        result.append(
            Points(
                run_id,
                key,
                steps_arr[order].astype(np.int64),
                values_arr[order].astype(np.float64),
                times_arr[order].astype(np.float64),
            )
        )
    return result


def known_keys(
    conn: sa.Connection, study_ids: Sequence[int] | None
) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """Param, metric and meta keys used by runs of these studies (all studies when None)."""
    query = sa.select(study_keys.c.kind, study_keys.c.key).distinct()
    if study_ids is not None:
        query = query.where(study_keys.c.study_id.in_(list(study_ids)))
    found: dict[str, set[str]] = {"param": set(), "metric": set(), "meta": set()}
    for kind, key in conn.execute(query):
        found.setdefault(kind, set()).add(key)
    return frozenset(found["param"]), frozenset(found["metric"]), frozenset(found["meta"])


RECORD_KEY = (
    'INSERT INTO study_keys (study_id, kind, "key") '
    "SELECT study_id, :kind, :key FROM runs WHERE id = :run_id "
    "ON CONFLICT DO NOTHING"
)


def record_keys(conn: sa.Connection, run_id: int, kind: str, keys: Sequence[str]) -> None:
    """Remember that the run's study uses these keys (idempotent)."""
    if keys:
        rows = [{"run_id": run_id, "kind": kind, "key": k} for k in keys]
        rawsql.executemany(conn, RECORD_KEY, rows)


def summaries(conn: sa.Connection, run_id: int) -> dict[str, dict[str, Any]]:
    """Per-key summaries of one run, sorted by key."""
    result: dict[str, dict[str, Any]] = {}
    query = sa.select(metrics).where(metrics.c.run_id == run_id).order_by(metrics.c.key)
    for row in conn.execute(query):
        data = dict(row._mapping)
        data.pop("run_id")
        key = data.pop("key")
        value = data["final"]
        if value is None:
            value = data["best"] if data["best"] is not None else data["last"]
        data["value"] = value
        data["mean"] = (
            None if not data["count"] or data["sum"] is None else data["sum"] / data["count"]
        )
        result[key] = data
    return result


def study_overview(conn: sa.Connection) -> list[dict[str, Any]]:
    """Per study: run counts by state, last activity, and the best value of its main metric."""
    from hyperlab.store import studies as study_rows

    counts: dict[int, dict[str, int]] = {}
    activity: dict[int, float] = {}
    query = sa.select(
        runs.c.study_id,
        runs.c.state,
        sa.func.count(),
        sa.func.max(sa.func.coalesce(runs.c.ended_at, runs.c.heartbeat_at, runs.c.created_at)),
    ).group_by(runs.c.study_id, runs.c.state)
    for study_id, state, count, last in conn.execute(query):
        counts.setdefault(study_id, {})[state] = int(count)
        activity[study_id] = max(activity.get(study_id, 0.0), float(last or 0.0))
    result = []
    value = sa.func.coalesce(metrics.c.final, metrics.c.best, metrics.c.last)
    for record in study_rows.list_all(conn):
        best = None
        main = record.main_metric
        if main is not None:
            agg = sa.func.max(value) if record.directions[main] == "max" else sa.func.min(value)
            best = conn.execute(
                sa.select(agg)
                .select_from(metrics.join(runs, runs.c.id == metrics.c.run_id))
                .where(runs.c.study_id == record.id, metrics.c.key == main)
                .where(runs.c.state == "completed")
            ).scalar()
        by_state = counts.get(record.id, {})
        result.append(
            {
                "study": record.name,
                "version": record.version,
                "description": record.description,
                "runs": sum(by_state.values()),
                "by_state": by_state,
                "metric": main,
                "best": best,
                "last_activity": activity.get(record.id),
            }
        )
    return result
