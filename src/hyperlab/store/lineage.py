"""Lineage in SQL: ancestors and descendants of a run, stitched curves, claiming a run to resume.

A run's lineage lives in three columns of ``runs``: ``parent_run_id`` (the run it continues),
``fork_step`` (the last step of the parent it inherits; its own points start after it) and
``changes`` (the params changed against the parent, JSON). A resumed run keeps its id, so a
resume adds no lineage row. A reproduction links to the original with ``fork_step`` NULL: it
inherits no points.

Chains are short (a curriculum is a handful of forks), so ancestors are walked one query per
level rather than with a recursive CTE; the walk stops on a cycle.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from hyperlab.errors import RunNotFoundError
from hyperlab.store import codec, reads
from hyperlab.store.schema import metrics, runs, studies

if TYPE_CHECKING:
    import numpy as np

MAX_DEPTH = 10_000
"""Longest chain walked (guards against a cycle written by hand into the database)."""


@dataclass
class LineageNode:
    """One run in a lineage tree."""

    id: int
    study: str
    number: int
    state: str
    parent_run_id: int | None
    fork_step: int | None
    changes: dict[str, Any]
    children: list[LineageNode] = field(default_factory=list)

    @property
    def ref(self) -> str:
        """The short name ``study/number``."""
        return f"{self.study}/{self.number}"


def _select() -> Any:
    return sa.select(
        runs.c.id,
        studies.c.name,
        runs.c.number,
        runs.c.state,
        runs.c.parent_run_id,
        runs.c.fork_step,
        runs.c.changes,
    ).join(studies, studies.c.id == runs.c.study_id)


def _node(row: Any) -> LineageNode:
    return LineageNode(
        id=row[0],
        study=row[1],
        number=row[2],
        state=row[3],
        parent_run_id=row[4],
        fork_step=row[5],
        changes=codec.loads(row[6]) or {},
    )


def ancestors(conn: sa.Connection, run_id: int) -> list[LineageNode]:
    """The run followed by its parent, grandparent, ... up to the root.

    Raises:
        RunNotFoundError: when the run does not exist.
    """
    chain: list[LineageNode] = []
    seen: set[int] = set()
    current: int | None = run_id
    while current is not None and current not in seen and len(chain) < MAX_DEPTH:
        row = conn.execute(_select().where(runs.c.id == current)).first()
        if row is None:
            if not chain:
                raise RunNotFoundError(f"no run with id {run_id}")
            break
        seen.add(current)
        node = _node(row)
        chain.append(node)
        current = node.parent_run_id
    return chain


def descendants(conn: sa.Connection, run_id: int) -> LineageNode:
    """The tree of runs descending from ``run_id`` (the node of ``run_id`` with children)."""
    chain = ancestors(conn, run_id)
    top = chain[0]
    top.children = []
    level = {top.id: top}
    seen = {top.id}
    while level:
        rows = conn.execute(
            _select().where(runs.c.parent_run_id.in_(list(level))).order_by(runs.c.id)
        ).all()
        following: dict[int, LineageNode] = {}
        for row in rows:
            node = _node(row)
            if node.id in seen:
                continue
            seen.add(node.id)
            level[node.parent_run_id or 0].children.append(node)
            following[node.id] = node
        level = following
    return top


def last_logged_step(conn: sa.Connection, run_id: int) -> int | None:
    """The largest step the run logged for any metric (None when it logged nothing)."""
    value = conn.execute(
        sa.select(sa.func.max(metrics.c.last_step)).where(metrics.c.run_id == run_id)
    ).scalar()
    return None if value is None else int(value)


def claim(
    conn: sa.Connection, run_id: int, from_states: Sequence[str], values: dict[str, Any]
) -> bool:
    """Move a run out of one of ``from_states`` with a single conditional UPDATE.

    Two processes resuming the same run race on this statement; exactly one wins.

    Returns:
        True when this call changed the run.
    """
    encoded = {
        k: (codec.dumps(v) if k in ("env", "spec", "changes", "params", "meta") else v)
        for k, v in values.items()
    }
    result = conn.execute(
        sa.update(runs)
        .where(runs.c.id == run_id, runs.c.state.in_(list(from_states)))
        .values(encoded)
    )
    return int(result.rowcount) == 1


def study_run_ids(conn: sa.Connection, study_id: int) -> list[int]:
    """Ids of every run of a study, oldest first."""
    query = sa.select(runs.c.id).where(runs.c.study_id == study_id).order_by(runs.c.id)
    return [int(i) for i in conn.execute(query).scalars()]


@dataclass
class StitchedPoints:
    """Points of one key along a lineage chain: ancestors' points up to each fork, then own.

    ``sources`` holds, per point, the id of the run that logged it.
    """

    run_id: int
    key: str
    steps: np.ndarray[Any, np.dtype[np.int64]]
    values: np.ndarray[Any, np.dtype[np.float64]]
    times: np.ndarray[Any, np.dtype[np.float64]]
    sources: np.ndarray[Any, np.dtype[np.int64]]


def stitched_points(
    conn: sa.Connection, run_id: int, keys: Sequence[str] | None = None
) -> list[StitchedPoints]:
    """The run's curves with its ancestors' points up to each fork step in front, per key.

    Walking up the chain, the step limit is the smallest fork step met so far: a grandparent
    contributes only points up to where the parent forked from it, and never past where the
    run forked from the parent. A link without a fork step (a reproduction) ends the walk.
    """
    import numpy as np

    chain = ancestors(conn, run_id)
    parts: list[tuple[int, int | None]] = [(chain[0].id, None)]  # (run id, step limit)
    limit: int | None = None
    for child, parent in itertools.pairwise(chain):
        if child.fork_step is None:
            break
        limit = child.fork_step if limit is None else min(limit, child.fork_step)
        parts.append((parent.id, limit))
    loaded = reads.read_points(conn, [rid for rid, _ in parts], keys)
    grouped: dict[str, list[tuple[int, reads.Points]]] = {}
    order = {rid: i for i, (rid, _) in enumerate(parts)}
    for points in loaded:
        grouped.setdefault(points.key, []).append((order[points.run_id], points))
    result = []
    for key in sorted(grouped):
        # Oldest ancestor first, the run itself last.
        pieces = sorted(grouped[key], key=lambda item: -item[0])
        steps, values, times, sources = [], [], [], []
        for index, points in pieces:
            step_limit = parts[index][1]
            mask = (
                np.ones(len(points.steps), dtype=bool)
                if step_limit is None
                else points.steps <= step_limit
            )
            steps.append(points.steps[mask])
            values.append(points.values[mask])
            times.append(points.times[mask])
            sources.append(np.full(int(mask.sum()), points.run_id, dtype=np.int64))
        result.append(
            StitchedPoints(
                run_id,
                key,
                np.concatenate(steps).astype(np.int64),
                np.concatenate(values).astype(np.float64),
                np.concatenate(times).astype(np.float64),
                np.concatenate(sources).astype(np.int64),
            )
        )
    return result
