"""Following submitted jobs: ``hl.job_status``, ``hl.job_output``, ``hl.job_metrics``,
``hl.cancel`` and ``hl.wait_jobs``.

Each accepts what :func:`hyperlab.submit` returned (a DataFrame, which remembers its store), a
list of job keys, or None for every job in the store. Polling asks each launcher about the jobs
that have not finished, stores what it learnt, and finishes the tracked run of a job that ended
(COMPLETED -> completed, FAILED -> failed, CANCELLED/TIMEOUT -> interrupted) unless the job's
own code already did through ``hl.current_run()``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hyperlab.errors import LauncherError
from hyperlab.execute.launchers.base import JobRef, JobState, JobStatus, Launcher

if TYPE_CHECKING:
    import pandas as pd

    from hyperlab.store import Store
    from hyperlab.store.jobs import JobRecord

FRAME_COLUMNS = (
    "job_name", "job_id", "array_index", "state", "exit_code", "node", "runtime", "work_dir",
    "stdout", "stderr", "launcher", "study", "run_id", "reason", "job_key",
)  # fmt: skip
_RUN_STATES = {
    JobState.COMPLETED: "completed",
    JobState.FAILED: "failed",
    JobState.CANCELLED: "interrupted",
    JobState.TIMEOUT: "interrupted",
}
JobsArg = Any  # a DataFrame from hl.submit, a sequence of job keys, or None (all jobs)


def _store(jobs: JobsArg, store: Store | str | Path | None) -> Store:
    from hyperlab.store import Store, open_store

    if isinstance(store, Store):
        return store
    if store is None:
        attrs = getattr(jobs, "attrs", None)
        if isinstance(attrs, dict) and attrs.get("store"):
            return open_store(attrs["store"])
    return open_store(store)


def resolve_jobs(
    jobs: JobsArg, store: Store | str | Path | None = None
) -> tuple[Store, list[JobRecord]]:
    """The store and the job records ``jobs`` names."""
    from hyperlab.store.jobs import list_jobs

    target = _store(jobs, store)
    if jobs is None:
        return target, list_jobs(target)
    if hasattr(jobs, "columns") and "job_key" in jobs.columns:
        keys = [int(k) for k in jobs["job_key"]]
    elif isinstance(jobs, Sequence) and not isinstance(jobs, str):
        keys = [int(k) for k in jobs]
    else:
        raise LauncherError(
            f"jobs must be what hl.submit returned, a list of job keys or None, got {jobs!r}"
        )
    found = {r.id: r for r in list_jobs(target, ids=keys)}
    return target, [found[k] for k in keys if k in found]


def refresh(
    store: Store, records: Sequence[JobRecord], launcher: Launcher | None = None
) -> list[JobRecord]:
    """Poll the launchers about unfinished jobs, store the answers, finish ended runs."""
    from hyperlab.execute.launchers.submit import get_launcher
    from hyperlab.store.jobs import (
        fill_job_run_facts,
        finish_job_runs,
        list_jobs,
        start_job_runs,
        update_jobs,
    )
    from hyperlab.store.records import RunState

    pending = [r for r in records if not JobState(r.state).finished]
    by_launcher: dict[str, list[JobRecord]] = {}
    for record in pending:
        by_launcher.setdefault(record.launcher, []).append(record)
    changes: list[tuple[int, dict[str, Any]]] = []
    outcomes: list[tuple[int, RunState, float]] = []
    started: list[int] = []
    facts: list[tuple[int, str | None, float | None]] = []
    now = time.time()
    for name, group in by_launcher.items():
        chosen = launcher if launcher is not None and launcher.name == name else None
        statuses = (chosen or get_launcher(name)).status(
            [JobRef(r.job_id, Path(r.work_dir)) for r in group]
        )
        for record, status in zip(group, statuses, strict=True):
            changes.append((record.id, _columns(status)))
            if record.run_id is None:
                continue
            if status.node or status.runtime_s is not None:
                facts.append((record.run_id, status.node, status.runtime_s))
            if status.state in _RUN_STATES:
                outcomes.append((record.run_id, RunState(_RUN_STATES[status.state]), now))
            elif status.state is JobState.RUNNING:
                started.append(record.run_id)
    update_jobs(store, changes)
    if facts:
        fill_job_run_facts(store, facts, now)
    if started:
        start_job_runs(store, started, now)
    if outcomes:
        _record_final_metrics(store, records, {run_id for run_id, _, _ in outcomes})
        finish_job_runs(store, outcomes)
    order = [r.id for r in records]
    fresh = {r.id: r for r in list_jobs(store, ids=order)}
    return [fresh[k] for k in order if k in fresh]


def _record_final_metrics(store: Store, records: Sequence[JobRecord], run_ids: set[int]) -> None:
    """Store the last row of each ended job's metrics files as its run's final values."""
    from hyperlab.errors import HyperlabError
    from hyperlab.execute.launchers.metrics import final_metrics

    for record in records:
        if record.run_id in run_ids:
            values = final_metrics(Path(record.work_dir))
            if values:
                with contextlib.suppress(HyperlabError):
                    store.set_final(record.run_id, values)


def _columns(status: JobStatus) -> dict[str, Any]:
    return {
        "state": status.state.value,
        "exit_code": status.exit_code,
        "node": status.node,
        "runtime_s": status.runtime_s,
        "reason": status.reason,
    }


def jobs_frame(store: Store, keys: Sequence[int] | None = None) -> pd.DataFrame:
    """Stored jobs as a DataFrame (no polling): one row per job, params as columns."""
    from hyperlab.store.jobs import list_jobs

    records = list_jobs(store, ids=keys)
    if keys is not None:
        by_id = {r.id: r for r in records}
        records = [by_id[k] for k in keys if k in by_id]
    return records_frame(store, records)


def records_frame(store: Store, records: Sequence[JobRecord]) -> pd.DataFrame:
    """Job records as the DataFrame users see."""
    import pandas as pd

    rows = []
    for r in records:
        job_dir = Path(r.work_dir)
        row: dict[str, Any] = {
            "job_name": r.name,
            "job_id": r.job_id,
            "array_index": r.array_index,
            "state": r.state,
            "exit_code": r.exit_code,
            "node": r.node,
            "runtime": r.runtime_s,
            "work_dir": r.work_dir,
            "stdout": str(job_dir / "stdout"),
            "stderr": str(job_dir / "stderr"),
            "launcher": r.launcher,
            "study": r.study,
            "run_id": r.run_id,
            "reason": r.reason,
            "job_key": r.id,
        }
        for key, value in r.params.items():
            row.setdefault(key, value)
        rows.append(row)
    frame = pd.DataFrame(rows, columns=None if rows else list(FRAME_COLUMNS))
    frame.attrs["store"] = store.url
    return frame


def job_status(
    jobs: JobsArg = None,
    *,
    store: Store | str | Path | None = None,
    launcher: Launcher | None = None,
) -> pd.DataFrame:
    """Poll the scheduler and return the jobs with their current state.

    Args:
        jobs: What :func:`hyperlab.submit` returned, job keys, or None for all jobs.
        store: The store (default: the one the DataFrame came from, else the default).
        launcher: A launcher instance to poll with (default: one made from each job's name).

    Returns:
        One row per job: job_name, job_id, array_index, state (PENDING, RUNNING, COMPLETED,
        FAILED, CANCELLED, TIMEOUT, UNKNOWN), exit_code, node, runtime (s), work_dir, stdout,
        stderr paths, ..., and the params.
    """
    target, records = resolve_jobs(jobs, store)
    return records_frame(target, refresh(target, records, launcher))


def wait_jobs(
    jobs: JobsArg = None,
    *,
    timeout_s: float = 3600,
    poll_s: float = 1.0,
    store: Store | str | Path | None = None,
    launcher: Launcher | None = None,
) -> pd.DataFrame:
    """Poll until every job has finished; returns :func:`job_status`'s table.

    Raises:
        LauncherError: ``timeout_s`` passed first (the message lists the unfinished jobs).
    """
    target, records = resolve_jobs(jobs, store)
    deadline = time.monotonic() + timeout_s
    while True:
        records = refresh(target, records, launcher)
        waiting = [r for r in records if not JobState(r.state).finished]
        if not waiting:
            return records_frame(target, records)
        if time.monotonic() >= deadline:
            names = ", ".join(f"{r.name} ({r.state})" for r in waiting[:10])
            raise LauncherError(f"jobs still unfinished after {timeout_s:.0f} s: {names}")
        time.sleep(poll_s)


def cancel(
    jobs: JobsArg = None,
    *,
    store: Store | str | Path | None = None,
    launcher: Launcher | None = None,
) -> pd.DataFrame:
    """Cancel jobs that have not finished; returns their status afterwards."""
    from hyperlab.execute.launchers.submit import get_launcher

    target, records = resolve_jobs(jobs, store)
    records = refresh(target, records, launcher)
    by_launcher: dict[str, list[JobRecord]] = {}
    for record in records:
        if not JobState(record.state).finished:
            by_launcher.setdefault(record.launcher, []).append(record)
    for name, group in by_launcher.items():
        chosen = launcher if launcher is not None and launcher.name == name else None
        (chosen or get_launcher(name)).cancel([JobRef(r.job_id, Path(r.work_dir)) for r in group])
    return records_frame(target, refresh(target, records, launcher))


def _tail(path: Path, lines: int) -> str | None:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    kept = text.splitlines()[-lines:] if lines > 0 else text.splitlines()
    return "\n".join(kept)


def job_output(
    jobs: JobsArg = None, tail: int = 20, *, store: Store | str | Path | None = None
) -> pd.DataFrame:
    """The last ``tail`` lines of each job's stdout and stderr (None when not written yet)."""
    import pandas as pd

    target, records = resolve_jobs(jobs, store)
    rows = [
        {
            "job_name": r.name,
            "job_id": r.job_id,
            "state": r.state,
            "stdout": _tail(Path(r.work_dir) / "stdout", tail),
            "stderr": _tail(Path(r.work_dir) / "stderr", tail),
        }
        for r in records
    ]
    frame = pd.DataFrame(rows, columns=["job_name", "job_id", "state", "stdout", "stderr"])
    frame.attrs["store"] = target.url
    return frame
