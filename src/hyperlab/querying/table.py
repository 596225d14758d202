"""Run tables without pandas: the rows behind ``hl.query`` and ``hyperlab ls``.

The CLI must answer ``hyperlab ls`` in a fresh process in well under a second, and importing
pandas alone costs about a third of that; so tables are plain columns of Python values, and
:mod:`hyperlab.querying.frames` turns them into DataFrames when Python users ask.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from hyperlab.querying.compiler import QueryContext
from hyperlab.store import Store
from hyperlab.store.schema import metrics, runs, studies, tags

RUN_FIELDS = (
    "study",
    "version",
    "number",
    "name",
    "state",
    "created",
    "started",
    "ended",
    "duration",
    "host",
    "tags",
)
SUMMARY_VALUE = sa.func.coalesce(metrics.c.final, metrics.c.best, metrics.c.last)
_CHUNK = 20_000


@dataclass
class RunTable:
    """Columns of run values in row order: run fields, ``params.*``, then ``metrics.*``."""

    ids: list[int]
    columns: dict[str, list[Any]] = field(default_factory=dict)
    defaulted: dict[str, list[bool]] = field(default_factory=dict)

    @property
    def param_columns(self) -> list[str]:
        """Names of the ``params.*`` columns."""
        return [c for c in self.columns if c.startswith("params.")]

    @property
    def metric_columns(self) -> list[str]:
        """Names of the ``metrics.*`` columns."""
        return [c for c in self.columns if c.startswith("metrics.")]

    def varying(self, names: Iterable[str]) -> list[str]:
        """Those of ``names`` whose values differ between rows (all of them for one row)."""
        chosen = []
        for name in names:
            values = {json.dumps(v, sort_keys=True, default=str) for v in self.columns[name]}
            if len(values) > 1 or len(self.ids) <= 1:
                chosen.append(name)
        return chosen


def chunks(ids: list[int], size: int = _CHUNK) -> Iterable[list[int]]:
    """Split an id list so that ``IN (...)`` lists stay within driver limits."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def collect(store: Store, ids: Sequence[int], ctx: QueryContext) -> RunTable:
    """Read runs, effective params and metric summaries of ``ids`` into a :class:`RunTable`."""
    id_list = list(ids)
    n = len(id_list)
    position = {run_id: i for i, run_id in enumerate(id_list)}
    table = RunTable(id_list)
    cols = table.columns
    for name in RUN_FIELDS:
        cols[name] = [None] * n
    params_json: list[str] = ["{}"] * n
    columns = [
        runs.c.id,
        studies.c.name,
        studies.c.version,
        runs.c.number,
        runs.c.name,
        runs.c.state,
        runs.c.created_at,
        runs.c.started_at,
        runs.c.ended_at,
        runs.c.host,
        runs.c.params,
    ]
    tag_lists: list[list[str]] = [[] for _ in range(n)]
    metric_cols: dict[str, list[Any]] = {}
    with store.read() as conn:
        for chunk in chunks(id_list):
            query = sa.select(*columns).join(studies, studies.c.id == runs.c.study_id)
            for row in conn.execute(query.where(runs.c.id.in_(chunk))):
                i = position[row[0]]
                cols["study"][i] = row[1]
                cols["version"][i] = row[2]
                cols["number"][i] = row[3]
                cols["name"][i] = row[4]
                cols["state"][i] = row[5]
                cols["created"][i] = row[6]
                cols["started"][i] = row[7]
                cols["ended"][i] = row[8]
                cols["host"][i] = row[9]
                params_json[i] = row[10]
                if row[7] is not None and row[8] is not None:
                    cols["duration"][i] = row[8] - row[7]
            for run_id, tag in conn.execute(
                sa.select(tags.c.run_id, tags.c.tag).where(tags.c.run_id.in_(chunk))
            ):
                tag_lists[position[run_id]].append(tag)
            query_m = sa.select(metrics.c.run_id, metrics.c.key, SUMMARY_VALUE)
            for run_id, key, value in conn.execute(
                query_m.where(metrics.c.run_id.in_(chunk))
            ):
                column = metric_cols.get(key)
                if column is None:
                    column = metric_cols[key] = [None] * n
                column[position[run_id]] = value
    cols["tags"] = [sorted(t) for t in tag_lists]
    param_cols: dict[str, list[Any]] = {}
    loads = json.loads
    for i, text in enumerate(params_json):
        for key, value in loads(text).items():
            column = param_cols.get(key)
            if column is None:
                column = param_cols[key] = [None] * n
            column[i] = value
    for key, default in ctx.defaults.items():
        column = param_cols.setdefault(key, [None] * n)
        marks = [False] * n
        for i in range(n):
            if column[i] is None:
                column[i] = default
                marks[i] = True
        table.defaulted[f"params.{key}"] = marks
    for key in sorted(param_cols):
        cols[f"params.{key}"] = param_cols[key]
    order = list(ctx.directions)
    for key in sorted(
        metric_cols, key=lambda k: (k not in order, order.index(k) if k in order else 0, k)
    ):
        cols[f"metrics.{key}"] = metric_cols[key]
    return table
