"""Sweeps: enqueue a search, start workers with a launcher, follow the queue until it drains.

::

    sw = hl.sweep("mnist", "lr=loguniform(1e-5,1e-1) bs=[16,32]",
                  command="python train.py --lr {lr} --bs {bs}", sampler="tpe", n=50, workers=4)
    for status in sw.watch():
        print(status)

The queue is the source of truth: stopping the watch (Ctrl-C) leaves every queued run in
place, and any ``hyperlab worker --study NAME`` resumes draining it.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hyperlab.errors import InvalidValueError
from hyperlab.execute.queueing import EnqueueResult
from hyperlab.store import RunState, Store

if TYPE_CHECKING:
    import pandas as pd

    from hyperlab.tracking.study import Study

ACTIVE_JOB_STATES = frozenset({"PENDING", "RUNNING"})
JOB_POLL_S = 5.0
"""How often :meth:`Sweep.watch` asks the launcher whether its workers still run."""


@dataclass(frozen=True)
class SweepStatus:
    """Where a sweep stands: its runs by state and the best value so far.

    Attributes:
        total: Runs the sweep queued.
        queued: Waiting for a worker (paused ones included).
        running: Claimed by a worker.
        done: Completed.
        failed: Failed, lost or interrupted (``hyperlab queue retry`` queues them again).
        other: Pruned.
        best: The best value of ``metric`` among completed runs (None before the first).
        metric: The metric ranked (None when the study declares none).
        workers_active: Worker jobs still pending or running (None when not known).
    """

    total: int
    queued: int = 0
    running: int = 0
    done: int = 0
    failed: int = 0
    other: int = 0
    best: float | None = None
    metric: str | None = None
    workers_active: int | None = None

    @property
    def ended(self) -> int:
        """Runs that reached a final state."""
        return self.done + self.failed + self.other

    @property
    def finished(self) -> bool:
        """Whether no run of the sweep is queued or running any more."""
        return self.queued == 0 and self.running == 0

    @property
    def stalled(self) -> bool:
        """Runs are left but every worker job has ended."""
        return not self.finished and self.workers_active == 0

    def __str__(self) -> str:
        best = "-" if self.best is None else f"{self.best:.4g}"
        text = (
            f"queued {self.queued}  running {self.running}  done {self.done}  failed {self.failed}"
        )
        if self.other:
            text += f"  pruned {self.other}"
        if self.metric:
            text += f"  best {self.metric} {best}"
        return text


@dataclass
class Sweep:
    """A sweep that was enqueued (and whose workers were started): follow it with :meth:`watch`.

    Attributes:
        study: The study searched.
        enqueued: What enqueue did (run ids, configurations skipped).
        jobs: The worker jobs (one row per worker), or None when none were started.
        metric: The metric whose best value is reported.
        direction: ``"min"`` or ``"max"``.
    """

    study: Study
    enqueued: EnqueueResult
    jobs: pd.DataFrame | None = None
    metric: str | None = None
    direction: str = "min"
    _values: dict[int, float | None] = field(default_factory=dict, repr=False)
    _workers_active: int | None = field(default=None, repr=False)
    _jobs_polled_at: float = field(default=float("-inf"), repr=False)

    @property
    def run_ids(self) -> list[int]:
        """The ids of the runs this sweep queued."""
        return self.enqueued.run_ids

    @property
    def resume_hint(self) -> str:
        """The command that resumes draining this sweep's queue."""
        return f"hyperlab worker --study {self.study.record.label}"

    def _value(self, run_id: int) -> float | None:
        if run_id not in self._values:
            found = None
            if self.metric is not None:
                summary = self.study.store.metric_summaries(run_id).get(self.metric, {})
                raw = summary.get("value")
                if isinstance(raw, (int, float)) and not math.isnan(raw):
                    found = float(raw)
            self._values[run_id] = found
        return self._values[run_id]

    def _poll_workers(self) -> int | None:
        if self.jobs is None or len(self.jobs) == 0:
            return None
        now = time.monotonic()
        if now - self._jobs_polled_at >= JOB_POLL_S:
            from hyperlab.execute.launchers.status import job_status

            self._jobs_polled_at = now
            try:
                frame = job_status(self.jobs, store=self.study.store)
            except Exception:  # a scheduler hiccup: keep the last answer
                return self._workers_active
            self._workers_active = int(frame["state"].isin(list(ACTIVE_JOB_STATES)).sum())
        return self._workers_active

    def status(self) -> SweepStatus:
        """Read the sweep's runs from the store (and poll its workers every few seconds)."""
        counts = dict.fromkeys(("queued", "running", "done", "failed", "other"), 0)
        best: float | None = None
        for record in self.study.store.get_runs(self.run_ids):
            state = RunState.parse(record.state)
            if state is RunState.QUEUED:
                counts["queued"] += 1
            elif state is RunState.RUNNING:
                counts["running"] += 1
            elif state is RunState.COMPLETED:
                counts["done"] += 1
                value = self._value(record.id)
                if value is not None and (
                    best is None or (value > best if self.direction == "max" else value < best)
                ):
                    best = value
            elif state is RunState.PRUNED:
                counts["other"] += 1
            else:
                counts["failed"] += 1
        return SweepStatus(
            total=len(self.run_ids),
            best=best,
            metric=self.metric,
            workers_active=self._poll_workers(),
            **counts,
        )

    def watch(
        self, poll_s: float = 0.5, *, timeout_s: float | None = None
    ) -> Iterator[SweepStatus]:
        """Yield the status every ``poll_s`` seconds until the sweep finishes.

        Also stops when every worker job has ended with runs left (``status.stalled``: start
        more workers with :attr:`resume_hint`) or after ``timeout_s``. Stopping the watch
        never touches the queue.
        """
        end = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            status = self.status()
            yield status
            if status.finished or status.stalled:
                return
            if end is not None and time.monotonic() >= end:
                return
            time.sleep(poll_s)

    def wait(self, poll_s: float = 0.5, *, timeout_s: float | None = None) -> SweepStatus:
        """Block until the sweep finishes (or stalls, or ``timeout_s``); the last status."""
        last = SweepStatus(total=len(self.run_ids))
        for status in self.watch(poll_s, timeout_s=timeout_s):
            last = status
        return last


def _target(
    study: Study, metric: str | Sequence[str] | None, direction: Any
) -> tuple[str | None, str]:
    from hyperlab.search.target import parse_direction

    names = [metric] if isinstance(metric, str) else list(metric or [])
    name = names[0] if names else study.record.main_metric
    if direction is not None:
        first = direction if isinstance(direction, str) else next(iter(direction))
        return name, parse_direction(first)
    declared = study.record.directions.get(name or "", "min")
    return name, parse_direction(str(declared))


def sweep(
    study: str | Study,
    space: Any,
    *,
    command: str | None = None,
    function: str | None = None,
    sampler: str = "grid",
    n: int | None = None,
    workers: int = 1,
    launcher: str = "local",
    template: str | os.PathLike[str] | None = None,
    resources: Mapping[str, Any] | None = None,
    work_dir: str | os.PathLike[str] | None = None,
    metric: str | Sequence[str] | None = None,
    direction: str | Sequence[str] | None = None,
    seed: int | None = None,
    idle_exit_s: float = 60.0,
    lease_s: float | None = None,
    priority: int = 0,
    store: Store | str | Path | None = None,
) -> Sweep:
    """Enqueue a search and start ``workers`` workers with a launcher.

    Args:
        study: The study (a name creates it on first use).
        space: A ParamSpace, a dict of ranges or the text form
            (``"lr=loguniform(1e-5,1e-1) bs=[16,32]"``).
        command: A command template (``"python train.py --lr {lr}"``), values shell-quoted.
        function: Or ``"package.module:train"``.
        sampler: ``grid`` and ``random`` choose every point now; ``tpe``, ``cmaes``, ``gp``,
            ``nsga2`` choose when a worker claims (each suggestion sees every finished run).
        n: How many runs (default: the whole grid; required for continuous spaces).
        workers: Worker jobs to start (0: only enqueue; run ``hyperlab worker`` yourself).
        launcher: ``local``, ``slurm`` or ``torque`` (Slurm starts one array job).
        template: A worker job script template with ``{command}`` (load modules, ...).
        resources: Scheduler resources per worker job (``{"time": 240, "cpus": 4}``).
        work_dir: Where worker job directories go (default: ``<store runs dir>/../sweeps``).
        metric: The metric optimised and reported as "best" (default: the study's main one).
        direction: ``"min"`` or ``"max"`` (default: the study's declaration).
        seed: Makes sampling reproducible.
        idle_exit_s: Workers stop once the queue has been empty this long.
        lease_s: Lease of the workers' claims (default: the worker's).
        priority: Priority of the queued runs.
        store: The store (default store when None); workers on other machines need a
            PostgreSQL URL.

    Returns:
        A :class:`Sweep` to watch.
    """
    from hyperlab.execute.launchers.submit import get_launcher
    from hyperlab.execute.launchers.workers import launch_workers, render_worker_script
    from hyperlab.execute.queue_search import enqueue_search
    from hyperlab.tracking.study import Study
    from hyperlab.tracking.study import study as get_study

    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 0:
        raise InvalidValueError(f"workers must be an integer >= 0, got {workers!r}")
    chosen = None
    if workers:
        # Check what would fail after enqueueing now, so a mistake queues nothing.
        chosen = get_launcher(launcher)
        render_worker_script(template, "true", "check", 0)
    handle = study if isinstance(study, Study) else get_study(study, store=store)
    enqueued = enqueue_search(
        handle,
        space,
        n=n,
        sampler=sampler,
        command=command,
        function=function,
        metric=metric,
        direction=direction,
        seed=seed,
        priority=priority,
    )
    name, sense = _target(handle, metric, direction)
    result = Sweep(handle, enqueued, metric=name, direction=sense)
    if chosen is not None and enqueued.run_ids:
        root = Path(work_dir) if work_dir is not None else handle.store.runs_root.parent / "sweeps"
        result.jobs = launch_workers(
            workers,
            launcher=chosen,
            studies=[handle.record.label],
            work_dir=root,
            resources=resources,
            idle_exit_s=idle_exit_s,
            lease_s=lease_s,
            store=handle.store,
            script_template=template,
        )
    return result


__all__ = ["Sweep", "SweepStatus", "sweep"]
