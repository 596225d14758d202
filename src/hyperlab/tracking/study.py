"""The :class:`Study` handle, :func:`study` and :func:`start_run`: where tracking starts."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hyperlab.errors import InvalidValueError
from hyperlab.space.hashing import params_hash
from hyperlab.store import RunState, Store, StudyRecord, codec, open_store
from hyperlab.store.ingest import Series
from hyperlab.store.store import NewRun
from hyperlab.tracking import capture
from hyperlab.tracking.run import Run
from hyperlab.tracking.search_methods import StudySearchMixin
from hyperlab.tracking.writer import MetricWriter, writer_for

if TYPE_CHECKING:
    import pandas as pd

    from hyperlab.store import RunRecord
    from hyperlab.tracking.extend import ExtendPlan


def _as_store(store: Store | str | Path | None) -> Store:
    return store if isinstance(store, Store) else open_store(store)


class Study(StudySearchMixin):
    """A named family of runs, with a version, metric directions and param defaults.

    Get one with :func:`hyperlab.study`; the same name and version always give the same study.
    """

    def __init__(self, store: Store, record: StudyRecord) -> None:
        self.store = store
        self.record = record

    @property
    def id(self) -> int:
        """The study's id in the store."""
        return self.record.id

    @property
    def name(self) -> str:
        """The study's name."""
        return self.record.name

    @property
    def version(self) -> str:
        """The code version this study records (``""`` when none was given)."""
        return self.record.version

    @property
    def description(self) -> str | None:
        """What changed in this version."""
        return self.record.description

    @property
    def directions(self) -> dict[str, str]:
        """Metric -> "min" | "max"; the first entry is the study's main metric."""
        return dict(self.record.directions)

    @property
    def defaults(self) -> dict[str, Any]:
        """Declared (unconditional) param defaults, flattened with dots."""
        return self.record.plain_defaults()

    def __repr__(self) -> str:
        return f"<Study {self.record.label!r} id={self.id}>"

    def _writer(self) -> MetricWriter:
        return writer_for(self.store)

    def refresh(self) -> Study:
        """Re-read the study's declarations from the store."""
        self.record = self.store.study_by_id(self.id)
        return self

    def start_run(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        tags: Iterable[str] = (),
        notes: str | None = None,
        name: str | None = None,
        run_dir: str | Path | None = None,
    ) -> Run:
        """Start a run (use it as a context manager).

        Args:
            params: Hyper-parameters; nested dicts are flattened with dots (``optim.lr``).
            tags: Labels to find the run by (``tags contains "baseline"``).
            notes: Free text.
            name: A human name for the run.
            run_dir: The run's directory (``run.dir``), e.g. Hydra's output folder; default:
                a folder per run under the store's runs directory.

        Returns:
            The running :class:`Run`.
        """
        flat = codec.flatten(params or {})
        now = time.time()
        fields = capture.run_fields()
        fields.update(started_at=now, heartbeat_at=now, notes=notes, name=name)
        if run_dir is not None:
            fields["run_dir"] = str(Path(run_dir).resolve())
        run_id, number = self.store.create_run(
            self.id,
            flat_params=flat,
            params_hash=params_hash(flat),
            state=RunState.RUNNING,
            tags=list(tags),
            fields=fields,
        )
        run = Run(self, run_id, number, flat)
        run._resume_known = True  # a fresh run continues nothing
        if run_dir is not None:
            run._dir = Path(fields["run_dir"])
        if notes:
            run._notes.append(notes)
        if fields.get("git_dirty"):
            capture.save_git_diff(run.dir)
        run._begin()
        return run

    def record_run(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        final: Mapping[str, float] | None = None,
        curves: Mapping[str, Sequence[tuple[int, float]] | Sequence[float]] | None = None,
        state: str | RunState = RunState.COMPLETED,
        tags: Iterable[str] = (),
        meta: Mapping[str, Any] | None = None,
        started_at: float | None = None,
        ended_at: float | None = None,
        run_dir: str | None = None,
        name: str | None = None,
    ) -> int:
        """Store a finished run in one transaction (imports, runs made elsewhere).

        Args:
            params: Hyper-parameters (nested dicts are flattened).
            final: Final metric values.
            curves: Metric -> values (steps 0, 1, ...) or (step, value) pairs.
            state: The run's state (default completed).
            tags: Labels.
            meta: Free-form facts (``meta.x`` in queries).
            started_at: Start time, epoch seconds.
            ended_at: End time, epoch seconds.
            run_dir: Where the run's files are.
            name: A human name.

        Returns:
            The new run's id.
        """
        return self.record_runs(
            [
                {
                    "params": params,
                    "final": final,
                    "curves": curves,
                    "state": state,
                    "tags": tags,
                    "meta": meta,
                    "started_at": started_at,
                    "ended_at": ended_at,
                    "run_dir": run_dir,
                    "name": name,
                }
            ]
        )[0]

    def record_runs(self, items: Iterable[Mapping[str, Any]]) -> list[int]:
        """Store many finished runs, in batched transactions; returns their ids in order.

        Each item takes the keyword arguments of :meth:`record_run`.
        """
        specs = [_new_run(item) for item in items]
        created = self.store.create_runs(
            self.id, [s for s, _ in specs], directions=self.directions
        )
        ids = [run_id for run_id, _ in created]
        for run_id, (_, flat_meta) in zip(ids, specs, strict=True):
            if flat_meta:
                self.store.merge_meta(run_id, flat_meta)
        return ids

    def adopt_run(self, run_id: int, number: int, params: Mapping[str, Any]) -> Run:
        """Take charge of an existing run of this study whose row the caller already read
        (a queue worker's claim): heartbeats, SIGTERM handling and the final state at exit,
        like :meth:`start_run`, without reading the store again.

        The run records this process's facts (host, user, Python, platform, packages, git)
        as :meth:`start_run` does; the command and directory set at enqueue time stay.
        """
        facts = capture.run_fields()
        for kept in ("command", "cwd"):
            facts.pop(kept)
        self.store.update_run(run_id, **facts)
        run = Run(self, run_id, number, params)
        run._begin()
        return run

    def enqueue(
        self,
        space_or_params: Any,
        *,
        command: str | None = None,
        function: str | None = None,
        repeats: int = 1,
        priority: int = 0,
        max_attempts: int = 3,
        tags: Iterable[str] = (),
    ) -> Any:
        """Queue runs for workers (``hyperlab worker`` / :func:`hyperlab.worker`).

        Configurations that already completed in this study (same effective params: defaults
        applied) are skipped and counted; so are those already queued or running.

        Args:
            space_or_params: A params dict, a list of dicts, or a ParamSpace to iterate.
            command: A command template, e.g. ``"python train.py --lr {lr} --bs {bs}"``; every
                value is shell-quoted. Runs in the directory enqueue was called from.
            function: ``"package.module:train"``, called with the params (and ``run=`` if it
                takes one); a returned dict of numbers becomes summary metrics.
            repeats: How many completed copies of each configuration are wanted.
            priority: Higher runs first.
            max_attempts: Claims a run gets when its workers die before it is ``lost``.
            tags: Tags of the queued runs.

        Returns:
            An :class:`hyperlab.execute.queueing.EnqueueResult` (``run_ids``, ``queued``,
            ``skipped_completed``, ``skipped_pending``).
        """
        from hyperlab.execute.queueing import enqueue

        return enqueue(
            self,
            space_or_params,
            command=command,
            function=function,
            repeats=repeats,
            priority=priority,
            max_attempts=max_attempts,
            tags=list(tags),
        )

    def enqueue_search(
        self,
        space: Any,
        *,
        n: int | None = None,
        sampler: str = "tpe",
        command: str | None = None,
        function: str | None = None,
        metric: str | Sequence[str] | None = None,
        direction: str | Sequence[str] | None = None,
        seed: int | None = None,
        priority: int = 0,
        max_attempts: int = 3,
        tags: Iterable[str] = (),
    ) -> Any:
        """Queue a search for workers; a model-based sampler chooses when a worker claims.

        With ``sampler="tpe"`` (or ``cmaes``, ``gp``, ``nsga2``) this queues ``n`` placeholder
        runs; each gets its params from the sampler when a worker claims it, so every
        suggestion is informed by all runs finished so far (by any worker), and never repeats a
        completed, queued or running configuration. ``"grid"`` and ``"random"`` choose every
        point now (like :meth:`enqueue`).

        Args:
            space: A ParamSpace, a dict of ranges, or the text form
                (``"lr=loguniform(1e-5,1e-1) bs=[16,32]"``).
            n: How many runs (default: the whole grid / every distinct point).
            sampler: ``grid``, ``random``, ``tpe``, ``cmaes``, ``gp`` or ``nsga2``.
            command: A command template (see :meth:`enqueue`).
            function: ``"package.module:train"`` (see :meth:`enqueue`).
            metric: Metric(s) to optimise (default: the study's main metric).
            direction: ``"min"``/``"max"`` per metric (default: the study's declarations).
            seed: Makes the proposals reproducible for a given history.
            priority: Higher runs first.
            max_attempts: Claims a run gets when its workers die before it is ``lost``.
            tags: Tags of the queued runs.

        Returns:
            An :class:`hyperlab.execute.queueing.EnqueueResult`.
        """
        from hyperlab.execute.queue_search import enqueue_search

        return enqueue_search(
            self,
            space,
            n=n,
            sampler=sampler,
            command=command,
            function=function,
            metric=metric,
            direction=direction,
            seed=seed,
            priority=priority,
            max_attempts=max_attempts,
            tags=list(tags),
        )

    def runs(
        self,
        expr: str | None = None,
        *,
        sort: str | None = None,
        limit: int | None = None,
        columns: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """This study's runs as a DataFrame (see :func:`hyperlab.query`)."""
        from hyperlab.querying.frames import query

        return query(
            expr,
            study=self.name,
            version=self.version,
            sort=sort,
            limit=limit,
            columns=columns,
            store=self.store,
        )

    # -- resume, fork, extend (see tracking/lineage.py and tracking/extend.py) ---------------
    def resume(self, run: Run | RunRecord | int | str) -> Run:
        """Continue an interrupted, failed or lost run here, under the same run id.

        :attr:`Run.resume_info` gives its latest checkpoint and the step to continue from.

        Raises:
            StateError: when the run is completed, running or queued.
            CheckpointError: when its latest checkpoint is missing or corrupted.
        """
        from hyperlab.tracking.lineage import resume_run

        return resume_run(self, run)

    def fork(
        self,
        run: Run | RunRecord | int | str,
        *,
        step: int | None = None,
        changes: Mapping[str, Any] | None = None,
        tags: Iterable[str] = (),
    ) -> Run:
        """Start, in this study, a live run continuing ``run`` with params overlaid by ``changes``.

        It continues from the parent's latest checkpoint at or before ``step`` (default: the
        latest), named by :attr:`Run.resume_info`. A missing, corrupted or too late checkpoint
        raises CheckpointError and creates nothing. See :mod:`hyperlab.tracking.lineage`.
        """
        from hyperlab.tracking.lineage import fork_run

        return fork_run(self, run, step=step, changes=changes, tags=tags)

    def enqueue_fork(
        self,
        run: Run | RunRecord | int | str,
        *,
        step: int | None = None,
        changes: Mapping[str, Any] | None = None,
        tags: Iterable[str] = (),
    ) -> int:
        """Like :meth:`fork`, but create the fork ``queued`` (copying the parent's queue spec)."""
        from hyperlab.tracking.lineage import enqueue_fork

        return enqueue_fork(self, run, step=step, changes=changes, tags=tags)

    def open_run(self, run: Run | RunRecord | int | str) -> Run:
        """Execute a queued run (a queued fork, extension or reproduction) in this process."""
        from hyperlab.tracking.lineage import open_run

        return open_run(self, run)

    def extend(
        self,
        expr: str | None = None,
        budget_param: str = "epochs",
        target: float = 0,
        *,
        changes: Mapping[str, Any] | None = None,
        dry_run: bool = False,
    ) -> list[ExtendPlan]:
        """Queue forks bringing each matching configuration's budget up to ``target``.

        Each configuration's completed run with the largest budget not above the target is
        forked from its last checkpoint (see :mod:`hyperlab.tracking.extend`).
        """
        from hyperlab.tracking.extend import extend_runs

        return extend_runs(self, expr, budget_param, target, changes=changes, dry_run=dry_run)


def _new_run(item: Mapping[str, Any]) -> tuple[NewRun, dict[str, Any]]:
    """A :class:`NewRun` (and the flat meta) from :meth:`Study.record_run` arguments."""
    unknown = set(item) - _RECORD_KEYS
    if unknown:
        raise InvalidValueError(
            f"unknown run fields {sorted(unknown)}; valid: {', '.join(sorted(_RECORD_KEYS))}"
        )
    flat = codec.flatten(item.get("params") or {})
    ended_at = item.get("ended_at")
    stamp = ended_at or time.time()
    series = []
    for key, points in (item.get("curves") or {}).items():
        steps: list[int] = []
        values: list[float] = []
        for i, point in enumerate(points):
            if isinstance(point, (tuple, list)):
                steps.append(int(point[0]))
                values.append(codec.coerce_metric(key, point[1]))
            else:
                steps.append(i)
                values.append(codec.coerce_metric(key, point))
        series.append(Series(0, key, steps, values, [stamp] * len(values)))
    flat_meta = codec.flatten(item.get("meta") or {})
    fields: dict[str, Any] = {
        "started_at": item.get("started_at"),
        "ended_at": ended_at,
        "name": item.get("name"),
        "run_dir": item.get("run_dir"),
        "meta": flat_meta,
    }
    final = {k: codec.coerce_metric(k, v) for k, v in (item.get("final") or {}).items()}
    spec = NewRun(
        flat_params=flat,
        params_hash=params_hash(flat),
        state=RunState.parse(item.get("state") or RunState.COMPLETED),
        tags=list(item.get("tags") or ()),
        fields=fields,
        final=final,
        series=series,
    )
    return spec, flat_meta


_RECORD_KEYS = frozenset(
    {
        "params",
        "final",
        "curves",
        "state",
        "tags",
        "meta",
        "started_at",
        "ended_at",
        "run_dir",
        "name",
    }
)


def study(
    name: str,
    *,
    version: str | int | None = None,
    description: str | None = None,
    defaults: Mapping[str, Any] | None = None,
    directions: Mapping[str, str] | None = None,
    store: Store | str | Path | None = None,
) -> Study:
    """Get or create a study.

    Args:
        name: The study's name (like hypero's battery).
        version: The code version; each (name, version) is its own study.
        description: What changed in this version.
        defaults: Param defaults that apply to every run lacking the param (also older runs).
        directions: Metric -> "min" or "max"; the first is the main metric ("best" run).
        store: A :class:`Store`, a URL, or None for the default store.

    Returns:
        The :class:`Study`; asking twice (even from two processes at once) gives the same one.
    """
    target = _as_store(store)
    record = target.get_or_create_study(
        name,
        None if version is None else str(version),
        description=description,
        directions=directions,
        defaults=defaults,
    )
    return Study(target, record)


_get_study = study


def start_run(
    study: str | Study,
    params: Mapping[str, Any] | None = None,
    *,
    tags: Iterable[str] = (),
    notes: str | None = None,
    name: str | None = None,
    store: Store | str | Path | None = None,
    run_dir: str | Path | None = None,
) -> Run:
    """Shortcut for ``hl.study(study).start_run(...)``."""
    target = study if isinstance(study, Study) else _get_study(study, store=store)
    return target.start_run(params, tags=tags, notes=notes, name=name, run_dir=run_dir)


def current_run() -> Run | None:
    """The innermost run open in this process (None outside a run).

    Inside a command tracked by ``hyperlab run`` or a queue worker (``HYPERLAB_RUN_ID`` and
    ``HYPERLAB_STORE`` set), this is the command's own run: metrics logged here land in the
    same run, and the parent process still decides its final state.
    """
    from hyperlab import settings
    from hyperlab.tracking import active

    run = active.current()
    if run is not None:
        return run
    run_id = settings.get_setting("run_id")
    if not run_id:
        return None
    if not run_id.strip().isdigit():
        raise InvalidValueError(f"HYPERLAB_RUN_ID={run_id!r} is not a run id (a number)")
    return attach_run(int(run_id), own=False)


_ATTACHED: dict[tuple[str, int], Run] = {}


def attach_run(run_id: int, *, store: Store | str | Path | None = None, own: bool = True) -> Run:
    """A :class:`Run` handle on an existing run (a queued run a worker claimed, or the run of
    the command this process runs in).

    Args:
        run_id: The run's id.
        store: A :class:`Store`, a URL, or None for the default store (``HYPERLAB_STORE``).
        own: Take charge of the run like :meth:`Study.start_run` does (heartbeats, SIGTERM
            handling, final state at exit). With ``own=False`` the handle only logs; whoever
            started the run records its end. Handles with ``own=False`` are shared per process.

    Returns:
        The run handle.
    """
    target = _as_store(store)
    key = (target.url, run_id)
    if not own and key in _ATTACHED:
        return _ATTACHED[key]
    record = target.get_run(run_id)
    owner = Study(target, target.study_by_id(record.study_id))
    run = Run(owner, run_id, record.number, record.params)
    if record.run_dir:
        run._dir = Path(record.run_dir)
    if own:
        run._begin()
    else:
        owner._writer().register(run_id, owner.directions)
        _ATTACHED[key] = run
    return run
