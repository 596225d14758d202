"""SQL for the ``jobs`` table: what launchers submitted, and their last known state.

Functions take a :class:`~hyperlab.store.Store` and use its short read/write transactions, so
the rest of hyperlab never writes SQL for jobs.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from hyperlab.store import codec
from hyperlab.store.records import RunState
from hyperlab.store.schema import jobs, runs, studies

if TYPE_CHECKING:
    from hyperlab.store.store import Store

JOB_COLUMNS = (
    "id", "study_id", "run_id", "batch", "launcher", "job_id", "array_index", "name", "state",
    "exit_code", "node", "runtime_s", "reason", "work_dir", "params", "submitted_at",
    "updated_at",
)  # fmt: skip


@dataclass(frozen=True)
class JobRecord:
    """One submitted job as stored."""

    id: int
    study_id: int
    study: str
    run_id: int | None
    batch: str
    launcher: str
    job_id: str
    array_index: int | None
    name: str
    state: str
    exit_code: int | None
    node: str | None
    runtime_s: float | None
    reason: str | None
    work_dir: str
    params: dict[str, Any]
    submitted_at: float
    updated_at: float


def add_jobs(store: Store, rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """Insert jobs (keys: the columns of ``jobs`` except ``id``); returns their ids in order."""
    now = time.time()
    ids: list[int] = []
    with store.write() as conn:
        for row in rows:
            values = dict(row)
            values["params"] = codec.dumps(dict(values.get("params") or {}))
            values.setdefault("submitted_at", now)
            values.setdefault("updated_at", now)
            inserted = conn.execute(sa.insert(jobs).values(**values).returning(jobs.c.id))
            ids.append(int(inserted.scalar_one()))
    return ids


def list_jobs(
    store: Store,
    *,
    study_ids: Sequence[int] | None = None,
    ids: Sequence[int] | None = None,
    batch: str | None = None,
    states: Sequence[str] | None = None,
    limit: int | None = None,
) -> list[JobRecord]:
    """Jobs matching every given filter, oldest first."""
    query = sa.select(*[jobs.c[c] for c in JOB_COLUMNS], studies.c.name).join(
        studies, studies.c.id == jobs.c.study_id
    )
    if study_ids is not None:
        query = query.where(jobs.c.study_id.in_(list(study_ids)))
    if ids is not None:
        query = query.where(jobs.c.id.in_(list(ids)))
    if batch is not None:
        query = query.where(jobs.c.batch == batch)
    if states is not None:
        query = query.where(jobs.c.state.in_(list(states)))
    query = query.order_by(jobs.c.id)
    if limit is not None:
        query = query.order_by(None).order_by(jobs.c.id.desc()).limit(limit)
    with store.read() as conn:
        rows = conn.execute(query).all()
    records = [_record(row) for row in rows]
    return sorted(records, key=lambda r: r.id)


def _record(row: Any) -> JobRecord:
    values = dict(zip(JOB_COLUMNS, row[: len(JOB_COLUMNS)], strict=True))
    values["params"] = codec.loads(values["params"]) or {}
    return JobRecord(study=str(row[len(JOB_COLUMNS)]), **values)


def update_jobs(store: Store, changes: Sequence[tuple[int, Mapping[str, Any]]]) -> None:
    """Update job rows: ``[(job row id, {column: value}), ...]`` in one transaction."""
    if not changes:
        return
    now = time.time()
    with store.write() as conn:
        for job_key, values in changes:
            conn.execute(
                sa.update(jobs).where(jobs.c.id == job_key).values(**values, updated_at=now)
            )


def finish_job_runs(store: Store, outcomes: Sequence[tuple[int, RunState, float]]) -> int:
    """Set the state of job runs that are still ``running`` (a job ended); returns how many.

    A run the job's own code finished (through ``hl.current_run()``) keeps its state.
    """
    changed = 0
    with store.write() as conn:
        for run_id, state, ended_at in outcomes:
            result = conn.execute(
                sa.update(runs)
                .where(runs.c.id == run_id, runs.c.state == RunState.RUNNING.value)
                .values(state=state.value, ended_at=ended_at)
            )
            changed += result.rowcount or 0
    return changed


def fill_job_run_facts(
    store: Store, facts: Sequence[tuple[int, str | None, float | None]], now: float
) -> None:
    """Give job runs the host the scheduler named and a start time (now minus the runtime it
    reported), where they have none yet: ``hyperlab ls`` then shows where and how long."""
    with store.write() as conn:
        for run_id, node, runtime_s in facts:
            if node:
                conn.execute(
                    sa.update(runs)
                    .where(runs.c.id == run_id, runs.c.host.is_(None))
                    .values(host=node)
                )
            if runtime_s is not None:
                conn.execute(
                    sa.update(runs)
                    .where(runs.c.id == run_id, runs.c.started_at.is_(None))
                    .values(started_at=now - runtime_s)
                )


def start_job_runs(store: Store, run_ids: Sequence[int], started_at: float) -> None:
    """Record when job runs started (the first time their job is seen running)."""
    if not run_ids:
        return
    with store.write() as conn:
        conn.execute(
            sa.update(runs)
            .where(runs.c.id.in_(list(run_ids)), runs.c.started_at.is_(None))
            .values(started_at=started_at)
        )
