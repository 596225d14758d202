"""``hl.optimize``: run trials of an objective as hyperlab runs, proposed by a sampler.

Each trial is a :class:`~hyperlab.tracking.run.Run` of the study: its params, curves, state and
result are in the store like any other run, so queries, tables and later searches see it.
"""

from __future__ import annotations

import inspect
import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hyperlab.errors import InvalidValueError
from hyperlab.search.history import effective_params
from hyperlab.search.session import Proposal, SearchSession
from hyperlab.search.trial import TrialContext, objective_values
from hyperlab.store import RunState, Store

if TYPE_CHECKING:
    from hyperlab.tracking.run import Run
    from hyperlab.tracking.study import Study

logger = logging.getLogger("hyperlab.search")


@dataclass
class TrialResult:
    """What one trial of a search did (given to ``callbacks``).

    Attributes:
        run_id: The run's id (the reused run's id when ``reused``).
        state: ``completed``, ``pruned`` or ``failed``.
        params: The params the trial ran with.
        values: The searched metrics' values (None unless completed).
        reused: True when an identical configuration had already completed and was not rerun.
        best: The best values of the search so far (first metric decides).
        n_done: Trials finished so far in this call.
    """

    run_id: int | None
    state: str
    params: dict[str, Any]
    values: list[float] | None
    reused: bool
    best: list[float] | None
    n_done: int


def takes_run(objective: Callable[..., Any]) -> bool:
    """Whether an objective wants the run (``f(run)``) rather than the params (``f(params)``).

    It wants the run when its first parameter is named ``run`` or annotated as ``Run``.
    """
    try:
        signature = inspect.signature(objective)
    except (TypeError, ValueError):
        return False
    positional = [
        p
        for p in signature.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    if not positional:
        raise InvalidValueError(
            f"the objective {objective!r} must take one argument: params (a dict) or run"
        )
    first = positional[0]
    annotation = first.annotation
    if isinstance(annotation, str):
        annotation_name = annotation.rsplit(".", 1)[-1]
    else:
        annotation_name = getattr(annotation, "__name__", "")
    return first.name == "run" or annotation_name == "Run"


class _Progress:
    def __init__(self, session: SearchSession) -> None:
        self.session = session
        self.lock = threading.Lock()
        self.best: list[float] | None = None
        self.n_done = 0

    def record(
        self,
        proposal: Proposal,
        run_id: int | None,
        state: str,
        values: list[float] | None,
        reused: bool,
    ) -> TrialResult:
        with self.lock:
            self.n_done += 1
            if values is not None and (
                self.best is None or self.session.target.better(values, self.best)
            ):
                self.best = list(values)
            return TrialResult(
                run_id,
                state,
                dict(proposal.params),
                values,
                reused,
                None if self.best is None else list(self.best),
                self.n_done,
            )


def _run_once(
    session: SearchSession,
    objective: Callable[..., Any],
    wants_run: bool,
    proposal: Proposal,
    params: dict[str, Any],
    tags: Sequence[str],
    pruning: bool,
) -> tuple[Run, list[float] | None]:
    """Start one run with ``params``, call the objective, and return the run and its values."""
    metrics = session.target.metrics
    run = session.study.start_run(params=params, tags=tags)
    run._search = TrialContext(session, proposal, pruning=pruning)
    values: list[float] | None = None
    with run:
        if wants_run:
            result = objective(run)
        else:
            # The model code sees the effective configuration: declared defaults included.
            result = objective(effective_params(session.study.record, params))
        if result is None and wants_run:
            run.flush()
            summaries = session.study.store.metric_summaries(run.id)
            found = [summaries.get(m, {}).get("value") for m in metrics]
            if any(v is None or math.isnan(v) for v in found):
                raise InvalidValueError(
                    f"the objective returned None and run {run.ref} logged no value for "
                    f"{', '.join(metrics)}; return the value or log it with run.log()"
                )
            values = [float(v) for v in found if v is not None]
        else:
            values, stored = objective_values(result, metrics)
            run.set_summary(**stored)
    return run, values


def run_trial(
    session: SearchSession,
    objective: Callable[..., Any],
    wants_run: bool,
    proposal: Proposal,
    *,
    repeats: int = 1,
    tags: Sequence[str] = (),
    catch: tuple[type[BaseException], ...] = (),
    progress: _Progress | None = None,
) -> TrialResult:
    """Run one proposal (``repeats`` runs with seeds 0..N-1) and tell the sampler the result."""
    metrics = session.target.metrics
    progress = progress or _Progress(session)
    if proposal.reuse is not None:
        values = proposal.reuse.objective(metrics)
        session.tell(proposal, values, RunState.COMPLETED.value)
        return progress.record(proposal, proposal.reuse.run_id, "completed", values, True)
    collected: list[list[float]] = []
    run_id: int | None = None
    for index in range(repeats):
        params = dict(proposal.params) if repeats == 1 else {**proposal.params, "seed": index}
        if repeats > 1 and not session.repeat:
            earlier = session.done.get(session.effective_hash(params))
            found = None if earlier is None else earlier.objective(metrics)
            if found is not None:
                collected.append(found)
                continue
        try:
            run, values = _run_once(
                session, objective, wants_run, proposal, params, tags, pruning=repeats == 1
            )
        except catch as err:
            logger.warning("trial of %s failed: %s", session.study.record.label, err)
            session.tell(proposal, None, RunState.FAILED.value)
            return progress.record(proposal, run_id, "failed", None, False)
        except BaseException:
            session.tell(proposal, None, RunState.FAILED.value)
            raise
        run_id = run.id
        session.mark_seen(run.id)
        if run.state == RunState.PRUNED.value:
            session.tell(proposal, None, RunState.PRUNED.value)
            return progress.record(proposal, run_id, "pruned", None, False)
        assert values is not None
        session.remember(run.id, run.params, values)
        collected.append(values)
    mean = [sum(v[i] for v in collected) / len(collected) for i in range(len(metrics))]
    session.tell(proposal, mean, RunState.COMPLETED.value)
    return progress.record(proposal, run_id, "completed", mean, False)


def _as_study(study: Study | str, store: Store | str | Path | None) -> Study:
    from hyperlab.tracking.study import Study
    from hyperlab.tracking.study import study as get_study

    if isinstance(study, Study):
        return study
    if isinstance(study, str):
        return get_study(study, store=store)
    raise InvalidValueError(f"study must be a Study or a study name, got {study!r}")


def _check_counts(
    n_trials: int | None, repeats: int, n_jobs: int, timeout_s: float | None
) -> None:
    for name, value, low in (
        ("n_trials", n_trials, 0),
        ("repeats", repeats, 1),
        ("n_jobs", n_jobs, 1),
    ):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise InvalidValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if timeout_s is not None and (not isinstance(timeout_s, (int, float)) or timeout_s <= 0):
        raise InvalidValueError(f"timeout_s must be a number > 0, got {timeout_s!r}")


def optimize(
    objective: Callable[..., Any],
    *,
    study: Study | str,
    space: Any = None,
    n_trials: int | None = None,
    sampler: str = "tpe",
    metric: str | Sequence[str] | None = None,
    direction: str | Sequence[str] | None = None,
    repeats: int = 1,
    seed: int | None = None,
    timeout_s: float | None = None,
    n_jobs: int = 1,
    pruner: str | None = "median",
    include_versions: Sequence[str | int] = (),
    repeat: bool = False,
    tags: Iterable[str] = ("search",),
    catch: tuple[type[BaseException], ...] = (),
    callbacks: Sequence[Callable[[TrialResult], None]] = (),
    store: Store | str | Path | None = None,
) -> Study:
    """Search for the best params of ``objective``; every trial is a run of ``study``.

    The sampler is warm-started with every finished run of the study (made by hand, by a grid,
    imported, or by earlier searches, with defaults applied). A proposal whose effective params
    equal a completed run's is not run again: its result is reused (and counts as a trial)
    unless ``repeat=True``.

    Args:
        objective: ``f(params: dict) -> float | dict`` (no hyperlab import needed), or ``f(run)``
            (first parameter named ``run``) which may call ``run.suggest_*``, ``run.log``,
            ``run.report`` / ``run.should_prune``, and returns the value or None (then the
            logged metric's summary is used).
        study: A :class:`Study` or a study name.
        space: A ``hl.ParamSpace``, a dict of name -> values/distribution/scalar, or None.
        n_trials: How many trials (default for ``grid``: every point of the space).
        sampler: ``grid``, ``random``, ``tpe``, ``cmaes``, ``gp`` or ``nsga2``.
        metric: Metric(s) to optimise; default the study's main metric.
        direction: ``"min"``/``"max"`` (one per metric); default the study's declarations.
        repeats: Run each configuration this many times with params ``seed=0..N-1``; the
            sampler is told the mean.
        seed: Seed of the sampler: the same seed proposes the same configurations.
        timeout_s: Start no new trial after this many seconds.
        n_jobs: Trials run at once (threads).
        pruner: ``"median"``, ``"halving"`` or ``"none"`` for ``run.should_prune()``.
        include_versions: Other versions of the study whose runs also warm-start the sampler.
        repeat: Run configurations again even if they already completed.
        tags: Tags put on every trial's run.
        catch: Exception types that fail a trial without stopping the search.
        callbacks: Called with a :class:`TrialResult` after each trial.
        store: The store, when ``study`` is a name.

    Returns:
        The study.

    Raises:
        InvalidValueError: for a bad sampler, direction, metric or count.
    """
    _check_counts(n_trials, repeats, n_jobs, timeout_s)
    target = _as_study(study, store)
    session = SearchSession(
        target,
        space,
        sampler=sampler,
        metric=metric,
        direction=direction,
        seed=seed,
        include_versions=include_versions,
        pruner=pruner,
        repeat=repeat,
    )
    if n_trials is None and session.sampler_name != "grid" and timeout_s is None:
        raise InvalidValueError(
            f"sampler {session.sampler_name!r} needs n_trials (or timeout_s); only 'grid' "
            "defaults to the whole space"
        )
    wants_run = takes_run(objective)
    if not wants_run and space is None:
        raise InvalidValueError(
            "an objective taking params needs a space; pass space=..., or write f(run) and "
            "sample with run.suggest_*"
        )
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    progress = _Progress(session)
    tag_list = list(tags)
    lock = threading.Lock()
    started = 0

    def work() -> None:
        nonlocal started
        while True:
            with lock:
                if n_trials is not None and started >= n_trials:
                    return
                if deadline is not None and time.monotonic() >= deadline:
                    return
                started += 1
            proposal = session.propose()
            if proposal is None:
                return
            result = run_trial(
                session,
                objective,
                wants_run,
                proposal,
                repeats=repeats,
                tags=tag_list,
                catch=catch,
                progress=progress,
            )
            for callback in callbacks:
                callback(result)

    if n_jobs == 1:
        work()
    else:
        with ThreadPoolExecutor(max_workers=n_jobs) as pool:
            futures = [pool.submit(work) for _ in range(n_jobs)]
            for future in futures:
                future.result()
    logger.info(
        "search of %s: %d trial(s), %d grid point(s) skipped as already completed",
        target.record.label,
        progress.n_done,
        session.skipped,
    )
    return target
