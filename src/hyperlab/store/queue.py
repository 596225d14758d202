"""The run queue in SQL: enqueue, atomic claim, lease renewal, expiry recovery, queue control.

Queue entries are rows of ``runs`` in state ``queued``; the columns ``priority``, ``attempt``,
``max_attempts``, ``lease_owner``, ``lease_expires`` and ``spec`` (what to execute) carry the
queue's state, so a queued run is a run like any other for queries and the dashboard.

Claiming is one atomic ``UPDATE ... WHERE id = (SELECT ... LIMIT 1) RETURNING id``: on
PostgreSQL the inner select takes ``FOR UPDATE SKIP LOCKED`` so concurrent workers never wait on
or take the same row; on SQLite the write transaction starts with ``BEGIN IMMEDIATE`` (see
:mod:`hyperlab.store.engine`), which serialises writers. A worker holds a lease
(``lease_expires``) and renews it; a run whose lease expired goes back to the queue with
``attempt + 1`` until ``max_attempts``, then becomes ``lost``.

A paused queued run keeps state ``queued`` with ``lease_owner`` set to :data:`PAUSED_OWNER`:
claims skip any queued run that has an owner.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from hyperlab.store import codec
from hyperlab.store import runs as run_rows
from hyperlab.store.records import RunState
from hyperlab.store.schema import runs, studies

PAUSED_OWNER = "~paused"
"""``lease_owner`` of a queued run that workers must not claim (``hyperlab queue pause``)."""

RETRYABLE_STATES = (RunState.FAILED, RunState.LOST, RunState.INTERRUPTED)

_QUEUED = RunState.QUEUED.value
_RUNNING = RunState.RUNNING.value


@dataclass
class QueuedRun:
    """What :func:`enqueue_runs` inserts for one queue entry."""

    flat_params: Mapping[str, Any]
    params_hash: str
    spec: Mapping[str, Any]
    command: str | None = None
    priority: int = 0
    max_attempts: int = 3
    tags: Sequence[str] = ()


@dataclass(frozen=True)
class Claim:
    """A run a worker has claimed: its id, study and what to execute."""

    run_id: int
    study_id: int
    number: int
    params: dict[str, Any]
    spec: dict[str, Any]
    attempt: int
    max_attempts: int
    run_dir: str | None = None


_ENQUEUE_LOCK_BASE = 0x68_6C_00_00_00_00
"""PostgreSQL advisory lock keys of enqueue, one per study (``base + study id``)."""


def study_configs(
    conn: sa.Connection, study_id: int, states: Sequence[RunState]
) -> list[tuple[str, dict[str, Any]]]:
    """``(state, flat params)`` of the study's runs in the given states.

    Inside a write transaction this also serialises enqueues into the study (SQLite: ``BEGIN
    IMMEDIATE``; PostgreSQL: a transaction-scoped advisory lock), so two notebooks enqueueing the
    same grid at once do not both add it.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(
            sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ENQUEUE_LOCK_BASE + study_id}
        )
    rows = conn.execute(
        sa.select(runs.c.state, runs.c.params).where(
            runs.c.study_id == study_id, runs.c.state.in_([s.value for s in states])
        )
    ).all()
    return [(state, codec.loads(text) or {}) for state, text in rows]


def enqueue_runs(conn: sa.Connection, study_id: int, items: Sequence[QueuedRun]) -> list[int]:
    """Insert queued runs (one transaction); returns their ids in order."""
    ids = []
    for item in items:
        run_id, _ = run_rows.create(
            conn,
            study_id,
            flat_params=item.flat_params,
            params_hash=item.params_hash,
            state=RunState.QUEUED,
            tag_list=run_rows.validate_tags(item.tags),
            fields={
                "spec": dict(item.spec),
                "command": item.command,
                "priority": int(item.priority),
                "max_attempts": int(item.max_attempts),
                "attempt": 0,
            },
        )
        ids.append(run_id)
    return ids


def _study_filter(study_names: Sequence[str] | None, params: dict[str, Any]) -> str:
    """SQL restricting claims to studies named ``name`` (all versions) or ``name@version``."""
    if not study_names:
        return ""
    parts = []
    for i, name in enumerate(study_names):
        base, sep, version = name.partition("@")
        params[f"sn{i}"] = base
        if sep:
            params[f"sv{i}"] = version
            parts.append(f"(s.name = :sn{i} AND s.version = :sv{i})")
        else:
            parts.append(f"s.name = :sn{i}")
    return f" AND study_id IN (SELECT s.id FROM studies s WHERE {' OR '.join(parts)})"


def recover_expired(conn: sa.Connection, now: float) -> tuple[int, int]:
    """Put runs whose lease expired back in the queue (or mark them lost).

    Returns:
        ``(requeued, lost)`` counts.
    """
    sql = sa.text(
        "UPDATE runs SET "
        "state = CASE WHEN attempt + 1 >= max_attempts THEN :lost ELSE :queued END, "
        "ended_at = CASE WHEN attempt + 1 >= max_attempts THEN :now ELSE NULL END, "
        "error = :error, attempt = attempt + 1, lease_owner = NULL, lease_expires = NULL "
        "WHERE state = :running AND lease_expires IS NOT NULL AND lease_expires < :now "
        "RETURNING state"
    )
    states = conn.execute(
        sql,
        {
            "lost": RunState.LOST.value,
            "queued": _QUEUED,
            "running": _RUNNING,
            "now": now,
            "error": "the worker's lease expired (worker killed, stalled or its node lost)",
        },
    ).scalars()
    found = list(states)
    return sum(s == _QUEUED for s in found), sum(s != _QUEUED for s in found)


def claim(
    conn: sa.Connection,
    owner: str,
    lease_s: float,
    *,
    study_names: Sequence[str] | None = None,
    host: str | None = None,
    pid: int | None = None,
    now: float | None = None,
    runs_root: str | None = None,
) -> Claim | None:
    """Claim the next queued run (highest priority, then oldest) for ``owner``, atomically.

    Call inside a write transaction (:meth:`Store.write`): on SQLite that is ``BEGIN
    IMMEDIATE``; on PostgreSQL the row is taken with ``FOR UPDATE SKIP LOCKED``.

    ``runs_root`` (a directory) gives a run without a run directory ``runs_root/<id>``.

    Returns:
        The claimed run, or None when nothing is claimable.
    """
    stamp = time.time() if now is None else now
    params: dict[str, Any] = {
        "queued": _QUEUED,
        "running": _RUNNING,
        "owner": owner,
        "expires": stamp + lease_s,
        "now": stamp,
        "host": host,
        "pid": pid,
        "root": None if runs_root is None else runs_root.rstrip("/") + "/",
    }
    lock = " FOR UPDATE SKIP LOCKED" if conn.dialect.name == "postgresql" else ""
    inner = (
        "SELECT id FROM runs WHERE state = :queued AND lease_owner IS NULL"
        + _study_filter(study_names, params)
        + f" ORDER BY priority DESC, id LIMIT 1{lock}"
    )
    sql = sa.text(
        "UPDATE runs SET state = :running, lease_owner = :owner, lease_expires = :expires, "
        "started_at = :now, heartbeat_at = :now, ended_at = NULL, host = :host, pid = :pid, "
        "run_dir = COALESCE(run_dir, :root || CAST(id AS TEXT)) "
        f"WHERE id = ({inner}) AND state = :queued "
        "RETURNING id, study_id, number, params, spec, attempt, max_attempts, run_dir"
    )
    row = conn.execute(sql, params).first()
    if row is None:
        return None
    return Claim(
        run_id=int(row.id),
        study_id=int(row.study_id),
        number=int(row.number),
        params=codec.loads(row.params) or {},
        spec=codec.loads(row.spec) or {},
        attempt=int(row.attempt),
        max_attempts=int(row.max_attempts),
        run_dir=row.run_dir,
    )


def renew(conn: sa.Connection, run_id: int, owner: str, lease_s: float, now: float) -> bool:
    """Extend a lease; False when ``owner`` no longer holds it (recovered or cancelled)."""
    result = conn.execute(
        sa.update(runs)
        .where(runs.c.id == run_id, runs.c.lease_owner == owner, runs.c.state == _RUNNING)
        .values(lease_expires=now + lease_s, heartbeat_at=now)
    )
    return bool(result.rowcount)


def release(conn: sa.Connection, run_id: int, owner: str) -> bool:
    """Drop ``owner``'s lease on a finished run."""
    result = conn.execute(
        sa.update(runs)
        .where(runs.c.id == run_id, runs.c.lease_owner == owner)
        .values(lease_owner=None, lease_expires=None)
    )
    return bool(result.rowcount)


def requeue(conn: sa.Connection, run_id: int, owner: str) -> bool:
    """Put an interrupted run held by ``owner`` back in the queue (attempt unchanged)."""
    result = conn.execute(
        sa.update(runs)
        .where(runs.c.id == run_id, runs.c.lease_owner == owner)
        .values(state=_QUEUED, lease_owner=None, lease_expires=None, ended_at=None, error=None)
    )
    return bool(result.rowcount)


def queue_ids(
    conn: sa.Connection,
    study_ids: Sequence[int] | None,
    states: Sequence[RunState],
    *,
    with_spec: bool = False,
) -> list[int]:
    """Ids of runs in the given states (of the given studies), in claim order."""
    query = sa.select(runs.c.id).where(runs.c.state.in_([s.value for s in states]))
    if study_ids is not None:
        query = query.where(runs.c.study_id.in_(list(study_ids)))
    if with_spec:
        query = query.where(runs.c.spec.is_not(None))
    query = query.order_by(runs.c.priority.desc(), runs.c.id)
    return [int(i) for i in conn.execute(query).scalars()]


def _in_chunks(ids: Sequence[int], size: int = 500) -> list[list[int]]:
    return [list(ids[i : i + size]) for i in range(0, len(ids), size)]


def pause(conn: sa.Connection, run_ids: Sequence[int]) -> int:
    """Hold queued runs so workers do not claim them; returns how many."""
    total = 0
    for chunk in _in_chunks(run_ids):
        total += conn.execute(
            sa.update(runs)
            .where(runs.c.id.in_(chunk), runs.c.state == _QUEUED, runs.c.lease_owner.is_(None))
            .values(lease_owner=PAUSED_OWNER)
        ).rowcount
    return total


def resume(conn: sa.Connection, run_ids: Sequence[int]) -> int:
    """Release paused runs to the workers; returns how many."""
    total = 0
    for chunk in _in_chunks(run_ids):
        total += conn.execute(
            sa.update(runs)
            .where(
                runs.c.id.in_(chunk), runs.c.state == _QUEUED, runs.c.lease_owner == PAUSED_OWNER
            )
            .values(lease_owner=None)
        ).rowcount
    return total


def cancel(conn: sa.Connection, run_ids: Sequence[int], now: float, *, running: bool) -> int:
    """Take runs out of the queue: state ``interrupted`` (retryable); returns how many.

    Queued (and paused) runs always; running runs only when ``running`` is true: their worker
    sees its lease gone at the next heartbeat and stops the command.
    """
    states = [_QUEUED, _RUNNING] if running else [_QUEUED]
    total = 0
    for chunk in _in_chunks(run_ids):
        total += conn.execute(
            sa.update(runs)
            .where(runs.c.id.in_(chunk), runs.c.state.in_(states))
            .values(
                state=RunState.INTERRUPTED.value,
                ended_at=now,
                lease_owner=None,
                lease_expires=None,
                error="cancelled from the queue (hyperlab queue cancel)",
            )
        ).rowcount
    return total


def retry(conn: sa.Connection, run_ids: Sequence[int]) -> int:
    """Queue failed, lost or interrupted runs again (attempts reset); returns how many.

    Only runs with a ``spec`` (created by enqueue) can be retried: others have nothing to run.
    """
    total = 0
    for chunk in _in_chunks(run_ids):
        total += conn.execute(
            sa.update(runs)
            .where(
                runs.c.id.in_(chunk),
                runs.c.state.in_([s.value for s in RETRYABLE_STATES]),
                runs.c.spec.is_not(None),
            )
            .values(
                state=_QUEUED,
                attempt=0,
                ended_at=None,
                error=None,
                lease_owner=None,
                lease_expires=None,
            )
        ).rowcount
    return total


def queue_rows(conn: sa.Connection, run_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Queue facts of runs, in the order given: study, number, state, lease, spec, params."""
    found: dict[int, dict[str, Any]] = {}
    for chunk in _in_chunks(run_ids):
        query = (
            sa.select(
                runs.c.id,
                studies.c.name.label("study"),
                studies.c.version,
                runs.c.number,
                runs.c.state,
                runs.c.priority,
                runs.c.attempt,
                runs.c.max_attempts,
                runs.c.lease_owner,
                runs.c.lease_expires,
                runs.c.created_at,
                runs.c.started_at,
                runs.c.command,
                runs.c.spec,
                runs.c.params,
            )
            .join(studies, studies.c.id == runs.c.study_id)
            .where(runs.c.id.in_(chunk))
        )
        for row in conn.execute(query):
            data = dict(row._mapping)
            data["spec"] = codec.loads(data["spec"])
            data["params"] = codec.loads(data["params"]) or {}
            found[int(row.id)] = data
    return [found[i] for i in run_ids if i in found]


def state_counts(conn: sa.Connection, study_ids: Sequence[int] | None) -> dict[str, int]:
    """Runs by state (paused queued runs counted as ``paused``)."""
    paused = sa.and_(runs.c.state == _QUEUED, runs.c.lease_owner == PAUSED_OWNER)
    label = sa.case((paused, sa.literal("paused")), else_=runs.c.state)
    query = sa.select(label, sa.func.count()).group_by(label)
    if study_ids is not None:
        query = query.where(runs.c.study_id.in_(list(study_ids)))
    return {str(state): int(n) for state, n in conn.execute(query)}


__all__ = [
    "PAUSED_OWNER",
    "Claim",
    "QueuedRun",
    "cancel",
    "claim",
    "enqueue_runs",
    "pause",
    "queue_ids",
    "queue_rows",
    "recover_expired",
    "release",
    "renew",
    "requeue",
    "resume",
    "retry",
    "state_counts",
    "study_configs",
]
