"""The :class:`Run` handle: what user code holds while a run is going.

``run.log()`` is on the hot path of training loops, so it does the least possible: validate each
value, then append a tuple to the writer's queue (see :mod:`hyperlab.tracking.writer`).
"""

from __future__ import annotations

import atexit
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any

from hyperlab.errors import InvalidValueError, StateError, TrialPruned
from hyperlab.store import codec
from hyperlab.store.records import RunState
from hyperlab.tracking import active

# Imported for its side effect: the writer registers its atexit flush at import, and it must be
# registered before this module's hook below, which therefore runs first (atexit is LIFO).
from hyperlab.tracking import writer as _writer  # noqa: F401
from hyperlab.tracking.suggest import SPACE_META_PREFIX, SuggestMixin

if TYPE_CHECKING:
    from hyperlab.space.distributions import Distribution
    from hyperlab.tracking.checkpoints import Checkpoint
    from hyperlab.tracking.lineage import ResumeInfo
    from hyperlab.tracking.stage import Stage
    from hyperlab.tracking.study import Study

_float = float
_now = time.time


class RunInterrupted(BaseException):
    """Raised in the main thread when SIGTERM arrives during a run (scancel, pre-emption).

    Like KeyboardInterrupt it derives from BaseException, so ``except Exception`` in user code
    does not swallow it.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(f"received signal {signal.Signals(signum).name}")
        self.signum = signum


class Run(SuggestMixin):
    """A live run. Create it with :meth:`Study.start_run` or :func:`hyperlab.start_run`.

    Use it as a context manager: leaving the block normally marks it ``completed``; an exception
    marks it ``failed`` with the traceback stored; Ctrl-C or SIGTERM mark it ``interrupted``.

    Attributes:
        id: The run's id, unique in the store and never reused.
        number: The run's number within its study (``study/number`` is its short name).
        study: The :class:`Study` the run belongs to.
    """

    def __init__(self, study: Study, run_id: int, number: int, params: Mapping[str, Any]) -> None:
        self.study = study
        self.id = run_id
        self.number = number
        self._params = dict(params)
        self._writer = study._writer()
        self._queue_append = self._writer.queue.append
        self._next_step = 0
        self._state: RunState | None = None
        self._notes: list[str] = []
        self._old_sigterm: Any = None
        self._dir: Path | None = None
        self._resume_info: ResumeInfo | None = None
        self._resume_known = False

    # -- identity -------------------------------------------------------------------------
    @property
    def ref(self) -> str:
        """The short human name, ``study/number``."""
        return f"{self.study.name}/{self.number}"

    @property
    def params(self) -> dict[str, Any]:
        """The run's params, flattened with dots (``optim.lr``)."""
        return dict(self._params)

    @property
    def dir(self) -> Path:
        """A directory for this run's checkpoints, artifacts and captured output (created)."""
        if self._dir is None:
            self._dir = self.study.store.runs_root / str(self.id)
        self._dir.mkdir(parents=True, exist_ok=True)
        return self._dir

    @property
    def state(self) -> str:
        """``running`` until finished, then the final state."""
        return (self._state or RunState.RUNNING).value

    def __repr__(self) -> str:
        return f"<Run {self.ref} id={self.id} {self.state}>"

    # -- logging --------------------------------------------------------------------------
    def log(self, step: int | None = None, **metrics: Any) -> None:
        """Record metric values at a step (buffered; returns in about a microsecond).

        Args:
            step: The step (epoch, iteration). Default: one more than the last step logged.
            **metrics: Metric values: numbers (ints, floats, numpy scalars, bools).
                NaN and inf are stored as they are; NaN is left out of min/max/best.

        Raises:
            InvalidValueError: when a value is not a number or the step is not an integer.
        """
        if step is None:
            step = self._next_step
        elif step.__class__ is not int:
            step = _as_step(step)
        self._next_step = step + 1
        t = _now()
        append = self._queue_append
        run_id = self.id
        for key, value in metrics.items():
            if value.__class__ is not _float:
                value = codec.coerce_metric(key, value)
            append((run_id, key, step, value, t))

    def log_params(self, params: Mapping[str, Any] | None = None, **more: Any) -> None:
        """Add params after the start (nested dicts are flattened with dots)."""
        flat = codec.flatten({**(params or {}), **more})
        self._params.update(flat)
        self.study.store.merge_params(self.id, flat)

    def set_summary(self, **values: Any) -> None:
        """Record final metric values (e.g. a test score); they win over curve summaries.

        Buffered like :meth:`log`, and written in order with the run's points.
        """
        final = {k: codec.coerce_metric(k, v) for k, v in values.items()}
        self._writer.ops.append(("final", self.id, final))

    def set_meta(self, **facts: Any) -> None:
        """Record free-form facts (dataset, preprocessing, ...), queryable as ``meta.x``."""
        self.study.store.merge_meta(self.id, codec.flatten(facts))

    def set_tags(self, *tags: str, remove: Iterable[str] = ()) -> None:
        """Add tags (and remove others)."""
        self.study.store.change_tags(self.id, add=list(tags), remove=list(remove))

    def note(self, text: str) -> None:
        """Append a line to the run's notes."""
        self._notes.append(str(text))
        self.study.store.update_run(self.id, notes="\n".join(self._notes))

    def _current_params(self) -> Mapping[str, Any]:
        return self._params

    def _record_suggestion(
        self, name: str, value: Any, distribution: Distribution, *, new: bool
    ) -> None:
        """Store a suggested value as a param, its distribution as meta ``distribution.<name>``."""
        if new:
            self._params[name] = codec.to_jsonable(value)
            self.study.store.merge_params(self.id, {name: self._params[name]})
        text = codec.dumps(distribution.to_dict())  # JSON text: meta keeps it as one value
        self.study.store.merge_meta(self.id, {SPACE_META_PREFIX + name: text})

    def flush(self) -> None:
        """Write buffered metric points now (normally done in the background)."""
        self._writer.flush()

    # -- resume, fork, checkpoints, stages (see tracking/lineage.py, checkpoints.py, stage.py) --
    @property
    def resume_info(self) -> ResumeInfo | None:
        """How this run continues earlier work (None for a fresh run).

        Tells a resumed or forked run the parent, the step to continue from, the checkpoint to
        load (verified intact) and the params that changed: see
        :class:`~hyperlab.tracking.lineage.ResumeInfo`.

        Raises:
            CheckpointError: when the checkpoint to continue from is missing or corrupted.
        """
        if not self._resume_known:
            from hyperlab.tracking.lineage import compute_resume_info

            self._resume_info = compute_resume_info(self.study.store, self.id)
            self._resume_known = True
            info = self._resume_info
            if info is not None and self._next_step == 0:
                # A handle made elsewhere (a worker): log() without a step continues after it.
                self._next_step = (
                    info.start_step
                    if info.step is not None
                    else (0 if info.last_step is None else info.last_step + 1)
                )
        return self._resume_info

    def checkpoint(self, source: str | Path | bytes, step: int) -> Checkpoint:
        """Register a checkpoint (a file path to copy, or the bytes) taken at ``step``.

        hyperlab never reads it: it keeps the file in ``run.dir/checkpoints/`` with a checksum,
        so that a resume or fork can hand it back through :attr:`resume_info`.
        """
        from hyperlab.tracking.checkpoints import register

        entry = register(self.id, self.dir, source, step)
        self.set_meta(**{"checkpoint.step": entry.step})
        return entry

    @property
    def checkpoints(self) -> list[Checkpoint]:
        """The checkpoints this run registered, oldest step first."""
        from hyperlab.tracking.checkpoints import list_checkpoints

        return list_checkpoints(self.id, self.dir)

    def stage(
        self,
        name: str,
        depends_on: Iterable[str] = (),
        version: str | int | None = None,
        *,
        cache_dir: str | Path | None = None,
    ) -> Stage:
        """A cached pipeline step keyed by ``name``, the listed params' values and ``version``.

        ::

            with run.stage("preprocess", depends_on=["norm"]) as stage:
                data = stage.load() if stage.cached else stage.save(make_features())

        Args:
            name: The stage's name.
            depends_on: Params whose effective values the output depends on.
            version: A code version; change it when the stage's code changes.
            cache_dir: Cache folder (default ``cache/`` beside the store's ``runs/``).
        """
        from hyperlab.tracking.stage import open_stage

        return open_stage(self, name, list(depends_on), version, cache_dir)

    def set_seed(self, seed: int | None = None) -> int:
        """Seed random, numpy and torch and record the seed (see ``tracking/provenance.py``)."""
        from hyperlab.tracking.provenance import set_seed

        return set_seed(self, seed)

    # -- define-by-run sampling and pruning (driven by hyperlab.search during a search) ----
    _search: Any = None
    """The search trial behind this run (a ``hyperlab.search.trial.TrialContext``) or None."""

    # suggest, suggest_float, suggest_int, suggest_categorical, suggest_normal: see
    # tracking/suggest.py (SuggestMixin); inside a search they ask ``_search.suggest``.

    def report(self, value: float, step: int) -> None:
        """Log an intermediate value of the searched metric at ``step`` for the pruner."""
        hook = self._search_hook()
        number = codec.coerce_metric(hook.metric, value)
        self.log(step, **{hook.metric: number})
        hook.report(number, _as_step(step))

    def should_prune(self) -> bool:
        """Whether this run is doing worse than the study's other learning curves so far.

        Then end it with ``raise hl.TrialPruned()`` (state ``pruned``).
        """
        return bool(self._search_hook().should_prune())

    def _search_hook(self) -> Any:
        if self._search is None:
            # A run started by hand gets a trial of its own; search sits above tracking.
            from hyperlab.search.asktell import attach

            self._search = attach(self)
        return self._search

    # -- lifecycle ------------------------------------------------------------------------
    def _begin(self) -> None:
        self._writer.register(self.id, self.study.directions)
        active.push(self)
        if threading.current_thread() is threading.main_thread():
            self._old_sigterm = signal.signal(signal.SIGTERM, _raise_interrupted)

    def finish(
        self,
        state: str | RunState = RunState.COMPLETED,
        *,
        error: str | None = None,
        wait: bool = False,
    ) -> None:
        """End the run and record its final state (idempotent).

        The state is written by the background writer after every point logged before it (any
        read of the store from this process, and process exit, flush it first).

        Args:
            state: completed (default), failed, interrupted, pruned or lost.
            error: A traceback or message to store with the run.
            wait: Write now and return only when it is stored.
        """
        if self._state is not None:
            return
        final = RunState.parse(state)
        if final in (RunState.QUEUED, RunState.RUNNING):
            raise StateError(f"a run cannot finish in state {final.value!r}")
        self._state = final
        self._writer.unregister(self.id)
        active.remove(self)
        if self._old_sigterm is not None:
            signal.signal(signal.SIGTERM, self._old_sigterm)
            self._old_sigterm = None
        fields: dict[str, Any] = {"state": final.value, "ended_at": _now()}
        if error is not None:
            fields["error"] = error
        self._writer.ops.append(("update", self.id, fields))
        if wait or final is not RunState.COMPLETED:
            # A failure or an interruption is written at once: the process may be about to die.
            self._writer.flush()

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if exc_type is None:
            self.finish(RunState.COMPLETED)
        elif issubclass(exc_type, TrialPruned):
            self.finish(RunState.PRUNED)
            return True  # pruning ends the run; it is not an error
        elif issubclass(exc_type, (KeyboardInterrupt, RunInterrupted)):
            self.finish(RunState.INTERRUPTED, error=_format(exc_type, exc, tb))
        else:
            self.finish(RunState.FAILED, error=_format(exc_type, exc, tb))
        return False


def _as_step(step: Any) -> int:
    if isinstance(step, bool) or not hasattr(step, "__index__"):
        raise InvalidValueError(f"step must be an integer, got {type(step).__name__} {step!r}")
    return int(step)


def _format(
    exc_type: type[BaseException], exc: BaseException | None, tb: TracebackType | None
) -> str:
    return "".join(traceback.format_exception(exc_type, exc, tb))


def _raise_interrupted(signum: int, _frame: FrameType | None) -> None:
    raise RunInterrupted(signum)


def _finish_open_runs_at_exit() -> None:
    """Runs left open when the interpreter exits: completed, or failed after a crash."""
    last = getattr(sys, "last_value", None)
    for run in active.all_runs():
        if last is not None:
            run.finish(RunState.FAILED, error=_format(type(last), last, last.__traceback__))
        else:
            run.finish(RunState.COMPLETED)


# Registered after the writer's own exit hook, so it runs first (atexit is last-in, first-out):
# open runs get their final state while their writer can still flush.
atexit.register(_finish_open_runs_at_exit)
