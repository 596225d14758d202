"""Run tables without pandas: the rows behind ``hl.query`` and ``hyperlab ls``.

The CLI must answer ``hyperlab ls`` in a fresh process in well under a second, and importing
pandas alone costs about a third of that; so tables are plain columns of Python values, and
:mod:`hyperlab.querying.frames` turns them into DataFrames when Python users ask.
"""

from __future__ import annotations

import contextlib
import gc
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from hyperlab.querying.compiler import QueryContext
from hyperlab.store import Store, table_reads

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
    "parent",
    "tags",
)


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


@contextlib.contextmanager
def bulk_allocation() -> Iterator[None]:
    """Pause the cyclic garbage collector while a big table is built.

    A 100,000-run table allocates millions of lists, dicts and floats, none of them in reference
    cycles; the collector would still walk them repeatedly (about a third of the time).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _decode_params(texts: list[str]) -> list[dict[str, Any]]:
    """Decode the params JSON of many runs; orjson parses floats about 3x faster than json."""
    try:
        import orjson
    except ImportError:  # an optional accelerator: same result, slower
        return [json.loads(text) for text in texts]
    loads = orjson.loads
    return [loads(text) for text in texts]


def _scatter(n: int, positions: Iterable[int], values: Sequence[Any]) -> list[Any]:
    """A column of ``n`` values with ``values`` placed at ``positions`` and None elsewhere."""
    if n < 5000:  # small tables (the CLI) never pay for importing numpy
        column: list[Any] = [None] * n
        for i, value in zip(positions, values, strict=True):
            column[i] = value
        return column
    import numpy as np

    array = np.full(n, None, dtype=object)
    array[np.fromiter(positions, dtype=np.intp, count=len(values))] = values
    result: list[Any] = array.tolist()
    return result


def collect(store: Store, ids: Sequence[int], ctx: QueryContext) -> RunTable:
    """Read runs, effective params and metric summaries of ``ids`` into a :class:`RunTable`.

    Runs deleted between selecting the ids and reading them are left out.
    """
    with store.read() as conn:
        run_rows = table_reads.run_rows(conn, ids)
        tag_rows = table_reads.tag_rows(conn, ids)
        summaries = list(table_reads.summary_columns(conn, ids, sorted(ctx.metric_keys)))
    wanted = {run_id: i for i, run_id in enumerate(ids)}
    ordered: list[Any] = [None] * len(ids)
    for row in run_rows:
        ordered[wanted[row[0]]] = row
    ordered = [row for row in ordered if row is not None]
    n = len(ordered)
    id_list = [row[0] for row in ordered]
    table = RunTable(id_list)
    cols = table.columns
    if n:
        (_, study, version, number, name, state, created, started, ended, host, parent,
         params_json) = (list(c) for c in zip(*ordered, strict=True))  # fmt: skip
    else:
        study = version = number = name = state = created = started = ended = host = parent = []
        params_json = []
    position = {run_id: i for i, run_id in enumerate(id_list)}
    tag_lists: list[list[str]] = [[] for _ in range(n)]
    for run_id, tag in tag_rows:
        if run_id in position:
            tag_lists[position[run_id]].append(tag)
    duration = [
        None if s is None or e is None else e - s for s, e in zip(started, ended, strict=True)
    ]
    cols.update(
        study=study, version=version, number=number, name=name, state=state, created=created,
        started=started, ended=ended, duration=duration, host=host, parent=parent,
        tags=[sorted(t) for t in tag_lists],
    )  # fmt: skip
    decoded = _decode_params(params_json)
    first_keys = decoded[0].keys() if decoded else None
    if first_keys and len(first_keys) > 1 and all(d.keys() == first_keys for d in decoded):
        # Every run has the same params (the usual case): transpose in C.
        names = list(first_keys)
        param_cols = dict(
            zip(names, map(list, zip(*map(itemgetter(*names), decoded), strict=True)), strict=True)
        )
    else:
        keys: dict[str, None] = {}
        for d in decoded:
            keys.update(dict.fromkeys(d))
        param_cols = {key: [d.get(key) for d in decoded] for key in keys}
    for key, default in ctx.defaults.items():
        column = param_cols.setdefault(key, [None] * n)
        marks = [value is None for value in column]
        if any(marks):
            param_cols[key] = [default if m else v for v, m in zip(column, marks, strict=True)]
        table.defaulted[f"params.{key}"] = marks
    if ctx.conditional_defaults:
        from hyperlab.querying.effective import apply_conditional_columns

        apply_conditional_columns(
            param_cols, decoded, ctx.defaults, ctx.conditional_defaults, table.defaulted
        )
    for key in sorted(param_cols):
        cols[f"params.{key}"] = param_cols[key]
    found: dict[str, tuple[list[int], list[float | None]]] = {}
    for key, run_ids, values in summaries:  # a key comes once per chunk of ids
        places, kept = found.setdefault(key, ([], []))
        located = list(map(position.get, run_ids))
        if None not in located:
            places.extend(located)  # type: ignore[arg-type]
            kept.extend(values)
        else:  # runs deleted meanwhile
            for i, v in zip(located, values, strict=True):
                if i is not None:
                    places.append(i)
                    kept.append(v)
    metric_cols = {key: _scatter(n, places, kept) for key, (places, kept) in found.items()}
    order = list(ctx.directions)
    for key in sorted(
        metric_cols, key=lambda k: (k not in order, order.index(k) if k in order else 0, k)
    ):
        cols[f"metrics.{key}"] = metric_cols[key]
    return table
