"""Lineage in queries and histories: ``parent``, ``is_fork``, ``root``, stitched curves.

:data:`LINEAGE_COLUMNS` maps query names to SQL expressions over ``runs`` (with their types in
:data:`LINEAGE_TYPES`) for the query compiler::

    hyperlab ls 'is_fork and root == 12'
    hl.query("parent == 7")

``root`` is the first run of a chain: forks record it as ``meta.lineage.root`` when they are
created, so the query is one primary-key probe instead of a recursive walk.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from hyperlab.store import Store
from hyperlab.store import lineage as lineage_sql
from hyperlab.store.schema import meta, runs

if TYPE_CHECKING:
    import pandas as pd

ROOT_META_KEY = "lineage.root"

_root = sa.func.coalesce(
    sa.select(sa.cast(meta.c.num, sa.Integer))
    .where(meta.c.run_id == runs.c.id, meta.c.key == ROOT_META_KEY)
    .scalar_subquery(),
    runs.c.id,
)

LINEAGE_COLUMNS: dict[str, Any] = {
    "parent": runs.c.parent_run_id,
    "is_fork": sa.and_(runs.c.parent_run_id.is_not(None), runs.c.fork_step.is_not(None)),
    "root": _root,
    "fork_step": runs.c.fork_step,
}
"""Query name -> SQL expression over ``runs``: the parent's id, whether the run is a fork
(a reproduction links to its original without being a fork), the id of the chain's first run,
and the step the run forked at."""

LINEAGE_TYPES: dict[str, str] = {
    "parent": "number",
    "is_fork": "bool",
    "root": "number",
    "fork_step": "number",
}
"""Query name -> value kind, as in ``querying.names.RUN_FIELD_TYPES``."""


def stitched_history(
    store: Store, run_ids: Sequence[int], keys: Sequence[str] | None = None
) -> pd.DataFrame:
    """Long-form points of each run with its ancestors' points up to each fork in front.

    Columns: ``run_id`` (the run asked for), ``key``, ``step``, ``value``, ``time`` and
    ``source_run_id`` (the run that logged the point).
    """
    from hyperlab.querying.frames import points_frame

    pieces = []
    with store.read() as conn:
        for run_id in run_ids:
            pieces.extend(lineage_sql.stitched_points(conn, run_id, keys))
    return points_frame(pieces, [p.sources for p in pieces])
