"""Ask/tell for external loops: ``run = study.ask(space)``, ``study.tell(run, value)``.

A study keeps one search session per (space, sampler, metrics, seed) in this process; every
``ask`` first feeds the sampler the runs finished since (in this or any other process).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from hyperlab.errors import InvalidValueError, StateError
from hyperlab.search.session import SearchSession
from hyperlab.search.target import resolve_target
from hyperlab.search.trial import TrialContext, objective_values
from hyperlab.store import RunState

if TYPE_CHECKING:
    from hyperlab.tracking.run import Run
    from hyperlab.tracking.study import Study

_SESSIONS: dict[tuple[Any, ...], SearchSession] = {}
_LOCK = threading.Lock()


def _session_key(study: Study, space: Any, options: Mapping[str, Any]) -> tuple[Any, ...]:
    return (
        study.store.url,
        study.id,
        repr(space),
        tuple(sorted((k, repr(v)) for k, v in options.items())),
    )


def session_for(study: Study, space: Any = None, **options: Any) -> SearchSession:
    """The process-wide search session of a study for this space and these options."""
    key = _session_key(study, space, options)
    with _LOCK:
        session = _SESSIONS.get(key)
        if session is None:
            session = _SESSIONS[key] = SearchSession(study, space, **options)
            return session
    session.refresh()
    return session


def ask(
    study: Study,
    space: Any = None,
    *,
    sampler: str = "tpe",
    metric: str | Sequence[str] | None = None,
    direction: str | Sequence[str] | None = None,
    seed: int | None = None,
    pruner: str | None = "median",
    repeat: bool = False,
    tags: Sequence[str] = ("search",),
) -> Run:
    """Start a run with params proposed by the sampler (warm-started by all past runs).

    The run may ask for more params with ``run.suggest_*``, report intermediate values, and is
    finished by :func:`tell`. A proposal equal to an already completed configuration is skipped
    (up to 100 times in a row) unless ``repeat=True``.

    Raises:
        StateError: when a grid has no configuration left to run.
    """
    session = session_for(
        study,
        space,
        sampler=sampler,
        metric=metric,
        direction=direction,
        seed=seed,
        pruner=pruner,
        repeat=repeat,
    )
    for _ in range(100):
        proposal = session.propose()
        if proposal is None:
            raise StateError(
                f"the grid of study {study.record.label!r} is exhausted: every point has "
                "completed (pass repeat=True to run them again)"
            )
        if proposal.reuse is None:
            break
        session.tell(proposal, proposal.reuse.objective(session.target.metrics), "completed")
    else:
        raise StateError(
            f"the sampler proposed only already-completed configurations of study "
            f"{study.record.label!r} 100 times in a row; the space looks exhausted "
            "(pass repeat=True to run them again)"
        )
    run = study.start_run(params=proposal.params, tags=tags)
    run._search = TrialContext(session, proposal)
    return run


def tell(
    study: Study,
    run: Run,
    values: float | Sequence[float] | Mapping[str, float] | None = None,
    *,
    state: str | None = None,
) -> None:
    """Finish a run from :func:`ask` with its result and teach the sampler.

    Args:
        study: The run's study.
        run: The run :func:`ask` returned.
        values: The metric value, one per metric, or a dict (extra keys are stored too). With
            None the run's logged summary of the metric is used.
        state: ``"pruned"`` or ``"failed"`` to end the run so (default: completed).

    Raises:
        StateError: when the run did not come from :func:`ask` or is already finished.
    """
    context = run._search
    if not isinstance(context, TrialContext) or run.study.id != study.id:
        raise StateError(f"run {run.ref} was not started by study.ask() of {study.record.label!r}")
    if run._state is not None:
        raise StateError(f"run {run.ref} is already finished ({run.state})")
    session = context.session
    final = RunState.parse(state or RunState.COMPLETED)
    if final is not RunState.COMPLETED:
        run.finish(final)
        session.tell(context.proposal, None, final.value)
        return
    metrics = session.target.metrics
    if values is None:
        run.flush()
        summaries = session.study.store.metric_summaries(run.id)
        found = [summaries.get(m, {}).get("value") for m in metrics]
        if any(v is None for v in found):
            raise InvalidValueError(
                f"tell() got no value and run {run.ref} logged none for {', '.join(metrics)}"
            )
        numbers = [float(v) for v in found if v is not None]
    else:
        numbers, stored = objective_values(values, metrics)
        run.set_summary(**stored)
    run.finish(RunState.COMPLETED)
    session.mark_seen(run.id)
    session.remember(run.id, run.params, numbers)
    session.tell(context.proposal, numbers, RunState.COMPLETED.value)


def attach(run: Run) -> TrialContext:
    """A trial for a run started by hand, so ``run.report`` / ``run.should_prune`` work.

    The pruner compares the run with the study's other learning curves of its main metric.

    Raises:
        InvalidValueError: when the study declares no metric direction.
    """
    study = run.study
    resolve_target(study, None, None)  # a clear error when the study has no main metric
    session = session_for(study, None, sampler="random", pruner="median")
    proposal = session.propose()
    assert proposal is not None
    return TrialContext(session, proposal)
