"""Resume and fork: continue a run under its id, or start a linked run from its checkpoint.

* **resume**: an interrupted, failed or lost run continues under the same id; its curves go on
  after the last logged step.
* **fork**: a new run linked to its parent (``parent_run_id``), inheriting the parent's points up
  to ``fork_step`` and the parent's params overlaid by ``changes``. Its own points start after
  the fork step. A fork can start here (a live :class:`Run`) or be queued for a worker.

User code learns how to continue from :attr:`Run.resume_info` (see :class:`ResumeInfo`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hyperlab.errors import CheckpointError, StateError
from hyperlab.store import RunRecord, RunState, Store, codec
from hyperlab.store import lineage as lineage_sql
from hyperlab.tracking import capture
from hyperlab.tracking.checkpoints import Checkpoint, latest, list_checkpoints
from hyperlab.tracking.run import Run

if TYPE_CHECKING:
    from hyperlab.tracking.study import Study

RESUMABLE_STATES = (RunState.INTERRUPTED.value, RunState.FAILED.value, RunState.LOST.value)
"""States a run can be resumed from (a completed run is extended or forked instead)."""


@dataclass(frozen=True)
class ResumeInfo:
    """How a run continues earlier work; None on :attr:`Run.resume_info` for a fresh run.

    Attributes:
        kind: ``"resume"`` (same run continues) or ``"fork"`` (a new run continues its parent).
        run_id: The run this describes.
        source_run_id: The run whose state is continued: the run itself on a resume, else the
            ancestor that saved the checkpoint.
        parent_run_id: The parent in the lineage (None for a run without parent).
        step: The step the state continues from: the checkpoint's step (the state after that
            step), or the fork step when there is no checkpoint. None: start from scratch.
        checkpoint: The checkpoint file to load (verified intact), or None.
        changes: Params changed against the parent.
        last_step: The last step the run had logged when it was resumed (None for a fork).
    """

    kind: str
    run_id: int
    source_run_id: int
    parent_run_id: int | None
    step: int | None
    checkpoint: Path | None
    changes: dict[str, Any] = field(default_factory=dict)
    last_step: int | None = None

    @property
    def start_step(self) -> int:
        """The first step the user's code should compute (``step + 1``, or 0)."""
        return 0 if self.step is None else self.step + 1


def run_dir_of(store: Store, record: RunRecord) -> Path:
    """The directory of a stored run (its checkpoints, artifacts, captured output)."""
    return Path(record.run_dir) if record.run_dir else store.runs_root / str(record.id)


def checkpoints_of(store: Store, record: RunRecord) -> list[Checkpoint]:
    """The checkpoints a run registered, oldest step first."""
    return list_checkpoints(record.id, run_dir_of(store, record))


def find_checkpoint(
    store: Store, record: RunRecord, at_or_before: int | None
) -> tuple[Checkpoint | None, bool]:
    """The latest checkpoint at or before a step, looking up the lineage chain.

    A fork inherits its parent's state up to its fork step, so when the run itself has no
    checkpoint early enough, the parent's checkpoints up to the fork step are searched, and so on.

    Returns:
        ``(checkpoint or None, whether any run in the chain has checkpoints at all)``.
    """
    limit = at_or_before
    current: RunRecord | None = record
    any_found = False
    seen: set[int] = set()
    while current is not None and current.id not in seen:
        seen.add(current.id)
        own = checkpoints_of(store, current)
        any_found = any_found or bool(own)
        found = latest(own, limit)
        if found is not None:
            return found, True
        if current.parent_run_id is None or current.fork_step is None:
            break
        limit = current.fork_step if limit is None else min(limit, current.fork_step)
        current = store.get_runs([current.parent_run_id])[0] if current.parent_run_id else None
    return None, any_found


def compute_resume_info(store: Store, run_id: int) -> ResumeInfo | None:
    """How the run continues earlier work, from what the store and run directories hold.

    Raises:
        CheckpointError: when the checkpoint to continue from is missing or corrupted.
    """
    record = store.get_run(run_id)
    own = checkpoints_of(store, record)
    with store.read() as conn:
        last = lineage_sql.last_logged_step(conn, run_id)
    if own:
        point = own[-1]
        point.verify()
        return ResumeInfo(
            "resume", run_id, run_id, record.parent_run_id, point.step, point.path,
            dict(record.changes or {}), last,
        )  # fmt: skip
    if record.parent_run_id is not None and record.fork_step is not None:
        parent = store.get_runs([record.parent_run_id])
        found: Checkpoint | None = None
        if parent:
            found, _ = find_checkpoint(store, parent[0], record.fork_step)
        if found is not None:
            found.verify()
        return ResumeInfo(
            "fork", run_id, found.run_id if found else record.parent_run_id,
            record.parent_run_id, record.fork_step, found.path if found else None,
            dict(record.changes or {}), last,
        )  # fmt: skip
    if last is not None:
        return ResumeInfo("resume", run_id, run_id, record.parent_run_id, None, None, {}, last)
    return None


def _ref(store: Store, run: Run | RunRecord | int | str) -> int:
    if isinstance(run, (Run, RunRecord)):
        return run.id
    return store.resolve_run(run)


def _handle(study: Study, record: RunRecord) -> Run:
    from hyperlab.tracking.study import Study

    own = study if study.id == record.study_id else Study(study.store, study.store.study_by_id(
        record.study_id
    ))  # fmt: skip
    return Run(own, record.id, record.number, record.params)


def open_run(
    study: Study,
    run: Run | RunRecord | int | str,
    *,
    from_states: Iterable[str] = (RunState.QUEUED.value,),
) -> Run:
    """Take over a stored run in this process: it becomes ``running`` under the same id.

    Used for resuming (from interrupted, failed or lost) and for executing a queued fork,
    extension or reproduction. The claim is one conditional UPDATE, so when two processes try
    the same run, exactly one gets it.

    Raises:
        StateError: when the run is not in one of ``from_states``.
        CheckpointError: when its checkpoint is missing or corrupted (the run is left as it was).
    """
    store = study.store
    run_id = _ref(store, run)
    record = store.get_run(run_id)
    states = tuple(from_states)
    if record.state not in states:
        raise StateError(
            f"run {record.ref} is {record.state}; only runs that are {', '.join(states)} can be "
            "taken over here" + _hint(record.state)
        )
    info = compute_resume_info(store, run_id)
    now = time.time()
    fields = capture.run_fields()
    values = {
        "state": RunState.RUNNING.value,
        "started_at": record.started_at or now,
        "ended_at": None,
        "heartbeat_at": now,
        "error": None,
        "host": fields["host"],
        "pid": fields["pid"],
        "user": fields["user"],
    }
    # A queued run records where it really runs; a resumed one keeps what it recorded first.
    for key in ("git_commit", "git_branch", "git_dirty", "python_version", "platform", "env"):
        if not getattr(record, key):
            values[key] = fields[key]
    with store.write() as conn:
        if not lineage_sql.claim(conn, run_id, states, values):
            raise StateError(f"run {record.ref} was taken over by another process")
    handle = _handle(study, record)
    handle._resume_info = info
    handle._resume_known = True
    if info is not None and info.step is not None:
        handle._next_step = info.start_step
    elif info is not None and info.last_step is not None:
        handle._next_step = info.last_step + 1
    handle._begin()
    return handle


def _hint(state: str) -> str:
    if state == RunState.COMPLETED.value:
        return "; fork or extend a completed run instead (study.fork / hyperlab extend)"
    if state == RunState.RUNNING.value:
        return "; it is still running (if its process died, `hyperlab ls` marks it lost first)"
    return ""


def resume_run(study: Study, run: Run | RunRecord | int | str) -> Run:
    """Continue an interrupted, failed or lost run under the same id (see :meth:`Study.resume`)."""
    study.store.recover_stale_runs()
    return open_run(study, run, from_states=RESUMABLE_STATES)


@dataclass(frozen=True)
class ForkPlan:
    """What a fork starts from, checked before anything is written."""

    parent: RunRecord
    fork_step: int
    checkpoint: Checkpoint | None
    params: dict[str, Any]
    changes: dict[str, Any]


def plan_fork(
    store: Store,
    parent_ref: Run | RunRecord | int | str,
    step: int | None,
    changes: Mapping[str, Any] | None,
) -> ForkPlan:
    """Where a fork of ``parent`` starts and with which params (nothing is written).

    The fork step is the step of the latest checkpoint at or before ``step`` (default: the
    parent's latest checkpoint). Without any checkpoint in the chain, it is ``step`` or the
    parent's last logged step (-1 when the parent logged nothing): the fork inherits the curves
    and its code decides how to continue.

    Raises:
        CheckpointError: the checkpoint is missing or corrupted, or none is early enough.
    """
    parent = store.get_run(_ref(store, parent_ref))
    point, any_found = find_checkpoint(store, parent, step)
    if point is None and any_found:
        steps = [c.step for c in checkpoints_of(store, parent)]
        raise CheckpointError(
            f"run {parent.ref} has no checkpoint at or before step {step}; its checkpoints are "
            f"at steps {steps}; choose --step at or after {min(steps) if steps else 0}"
        )
    if point is not None:
        point.verify()
        fork_step = point.step
    elif step is not None:
        fork_step = step
    else:
        with store.read() as conn:
            last = lineage_sql.last_logged_step(conn, parent.id)
        fork_step = -1 if last is None else last
    flat = codec.flatten(dict(changes or {}))
    return ForkPlan(parent, fork_step, point, {**parent.params, **flat}, flat)


def _lineage_meta(store: Store, parent: RunRecord, kind: str) -> dict[str, Any]:
    root = parent.meta.get("lineage.root", parent.id)
    return {"lineage.root": root, "lineage.kind": kind, "lineage.parent": parent.id}


def create_fork(
    study: Study,
    plan: ForkPlan,
    *,
    state: RunState,
    kind: str = "fork",
    tags: Iterable[str] = (),
) -> tuple[int, int]:
    """Insert the fork described by ``plan``; returns ``(run_id, number)``."""
    from hyperlab.space.hashing import params_hash

    parent = plan.parent
    fields: dict[str, Any] = {
        "parent_run_id": parent.id,
        "fork_step": plan.fork_step,
        "changes": plan.changes,
        "spec": parent.spec,
        "priority": parent.priority,
        "max_attempts": parent.max_attempts,
    }
    if state is RunState.RUNNING:
        now = time.time()
        fields.update(capture.run_fields(), started_at=now, heartbeat_at=now)
    else:
        # Not the parent's command: a queued command is rendered from the spec with the fork's
        # own params when a worker runs it.
        fields.update(cwd=parent.cwd)
    run_id, number = study.store.create_run(
        study.id,
        flat_params=plan.params,
        params_hash=params_hash(plan.params),
        state=state,
        tags=list(tags),
        fields=fields,
    )
    study.store.merge_meta(run_id, _lineage_meta(study.store, parent, kind))
    return run_id, number


def fork_run(
    study: Study,
    run: Run | RunRecord | int | str,
    *,
    step: int | None = None,
    changes: Mapping[str, Any] | None = None,
    tags: Iterable[str] = (),
) -> Run:
    """Start a fork here as a live run (see :meth:`Study.fork`)."""
    plan = plan_fork(study.store, run, step, changes)
    run_id, number = create_fork(study, plan, state=RunState.RUNNING, tags=tags)
    handle = Run(study, run_id, number, plan.params)
    point = plan.checkpoint
    handle._resume_info = ResumeInfo(
        "fork", run_id, point.run_id if point else plan.parent.id, plan.parent.id,
        plan.fork_step if plan.fork_step >= 0 else None, point.path if point else None,
        dict(plan.changes), None,
    )  # fmt: skip
    handle._resume_known = True
    handle._next_step = plan.fork_step + 1
    if capture.git_info(os.getcwd()).dirty:
        capture.save_git_diff(handle.dir)
    handle._begin()
    return handle


def enqueue_fork(
    study: Study,
    run: Run | RunRecord | int | str,
    *,
    step: int | None = None,
    changes: Mapping[str, Any] | None = None,
    tags: Iterable[str] = (),
    kind: str = "fork",
) -> int:
    """Create a fork as a ``queued`` run for a worker (see :meth:`Study.enqueue_fork`)."""
    plan = plan_fork(study.store, run, step, changes)
    run_id, _ = create_fork(study, plan, state=RunState.QUEUED, kind=kind, tags=tags)
    return run_id
