"""Metric ingestion: chunks of points plus summaries kept current in the same transaction.

A batch for one (run, key) becomes one ``metric_chunks`` row (packed arrays) and one upsert of
its ``metrics`` summary. The summary merge happens in SQL (``ON CONFLICT DO UPDATE``) so that two
writers of the same run (a wrapped command and the script inside it) never lose an update.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from hyperlab.store import codec, rawsql, reads

# ``sign`` is +1 when a larger value is better, -1 when smaller is better, 0 with no direction.
# A NULL on the new side never replaces a stored value (a NULL comparison is not true).
_UPSERT_SUMMARY = """
    INSERT INTO metrics (run_id, key, count, last, last_step, min, max, sum, best, best_step)
    VALUES (:run_id, :key, :count, :last, :last_step, :min, :max, :sum, :best, :best_step)
    ON CONFLICT (run_id, key) DO UPDATE SET
      count = metrics.count + excluded.count,
      last = CASE WHEN metrics.last_step IS NULL OR excluded.last_step >= metrics.last_step
                  THEN excluded.last ELSE metrics.last END,
      last_step = CASE WHEN metrics.last_step IS NULL OR excluded.last_step >= metrics.last_step
                  THEN excluded.last_step ELSE metrics.last_step END,
      min = CASE WHEN metrics.min IS NULL OR excluded.min < metrics.min
                 THEN excluded.min ELSE metrics.min END,
      max = CASE WHEN metrics.max IS NULL OR excluded.max > metrics.max
                 THEN excluded.max ELSE metrics.max END,
      sum = CASE WHEN metrics.sum IS NULL THEN excluded.sum
                 WHEN excluded.sum IS NULL THEN metrics.sum
                 ELSE metrics.sum + excluded.sum END,
      best = CASE WHEN metrics.best IS NULL OR excluded.best * :sign > metrics.best * :sign
                  THEN excluded.best ELSE metrics.best END,
      best_step = CASE WHEN metrics.best IS NULL OR excluded.best * :sign > metrics.best * :sign
                  THEN excluded.best_step ELSE metrics.best_step END
    """

_UPSERT_FINAL = """
    INSERT INTO metrics (run_id, key, count, final) VALUES (:run_id, :key, 0, :final)
    ON CONFLICT (run_id, key) DO UPDATE SET final = excluded.final
    """
_INSERT_CHUNK = """
    INSERT INTO metric_chunks (run_id, key, first_step, last_step, n, steps, "values", times)
    VALUES (:run_id, :key, :first_step, :last_step, :n, :steps, :values, :times)
    """


@dataclass
class Series:
    """Points of one metric key of one run, in logging order."""

    run_id: int
    key: str
    steps: list[int]
    values: list[float]
    times: list[float]


def summarize(series: Series, direction: str | None) -> dict[str, Any]:
    """The summary row of a batch (NaN points are counted but left out of min/max/sum)."""
    values = series.values
    finite = [v for v in values if not math.isnan(v)]
    last_index = max(range(len(series.steps)), key=series.steps.__getitem__)
    sign = 1 if direction == "max" else -1 if direction == "min" else 0
    best = best_step = None
    if finite and sign:
        best = max(finite) if sign > 0 else min(finite)
        best_step = series.steps[values.index(best)]
    return {
        "run_id": series.run_id,
        "key": series.key,
        "count": len(values),
        "last": codec.finite_or_none(values[last_index]),
        "last_step": series.steps[last_index],
        "min": min(finite) if finite else None,
        "max": max(finite) if finite else None,
        "sum": codec.finite_or_none(sum(finite)) if finite else None,
        "best": best,
        "best_step": best_step,
        "sign": sign,
    }


def write_series(
    conn: sa.Connection,
    batch: Sequence[Series],
    directions: Mapping[int, Mapping[str, str]],
) -> int:
    """Write chunks and merge summaries for a batch; returns the number of points written.

    Args:
        conn: A connection inside a write transaction.
        batch: Series to write; empty series are ignored.
        directions: run id -> metric -> "min"/"max" (from each run's study).
    """
    chunks = []
    summaries = []
    total = 0
    for series in batch:
        if not series.values:
            continue
        chunks.append(
            {
                "run_id": series.run_id,
                "key": series.key,
                "first_step": min(series.steps),
                "last_step": max(series.steps),
                "n": len(series.values),
                "steps": codec.pack_steps(series.steps),
                "values": codec.pack_floats(series.values),
                "times": codec.pack_floats(series.times),
            }
        )
        direction = directions.get(series.run_id, {}).get(series.key)
        summaries.append(summarize(series, direction))
        total += len(series.values)
    if chunks:
        rawsql.executemany(conn, _INSERT_CHUNK, chunks)
        rawsql.executemany(conn, _UPSERT_SUMMARY, summaries)
        keys = [{"run_id": s["run_id"], "kind": "metric", "key": s["key"]} for s in summaries]
        rawsql.executemany(conn, reads.RECORD_KEY, keys)
    return total


def write_final(conn: sa.Connection, run_id: int, values: Mapping[str, float]) -> None:
    """Set explicit final values (``run.set_summary``); they win over curve summaries."""
    rows = [
        {"run_id": run_id, "key": k, "final": codec.finite_or_none(v)} for k, v in values.items()
    ]
    if rows:
        rawsql.executemany(conn, _UPSERT_FINAL, rows)
        reads.record_keys(conn, run_id, "metric", list(values))
