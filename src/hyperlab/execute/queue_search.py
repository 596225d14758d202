"""Searches in queue mode: the sampler is asked when a worker claims, not when enqueueing.

``study.enqueue_search(space, n=50, sampler="tpe", command=...)`` queues ``n`` placeholder runs
with no params; their ``spec`` carries the search (sampler, space in its text form, metric,
direction, seed, index). When a worker claims one, :func:`suggest_params` builds a search
session from the store (every run finished so far, by any worker, feeds the sampler), asks
for a configuration no completed, queued or running run of the study already has, and writes
the params (and their hash) into the run before it starts. Grid and random searches need no
model, so they are materialised at enqueue time like :func:`~hyperlab.execute.queueing.enqueue`.

Proposals for one study are serialised (SQLite: the write transaction; PostgreSQL: the
study's advisory lock), so two workers never receive the same configuration.
"""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hyperlab.errors import InvalidValueError, StateError
from hyperlab.execute.queueing import EnqueueResult, _spec, effective, enqueue
from hyperlab.execute.templates import render_command
from hyperlab.store import RunState, Store, codec
from hyperlab.store import queue as q
from hyperlab.store import runs as run_rows

if TYPE_CHECKING:
    from hyperlab.search.session import SearchSession
    from hyperlab.space import ParamSpace
    from hyperlab.tracking.study import Study

MATERIALISED = ("grid", "random")
"""Samplers whose points are chosen at enqueue time (they learn nothing from results)."""

MAX_PROPOSALS = 30
"""Sampler proposals tried before picking a free point of a finite space at random."""

HISTORY_META = "search.history"
"""Meta key: how many completed runs the sampler had seen when it chose this run's params."""


def _as_space(space: Any) -> ParamSpace:
    from hyperlab.search.dimensions import as_space
    from hyperlab.space import parse_space

    found = parse_space(space) if isinstance(space, str) else as_space(space)
    if found is None:
        raise InvalidValueError("a queued search needs a space; got None")
    return found


def _metric_list(value: str | Sequence[str] | None) -> list[str] | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else [str(v) for v in value]


def enqueue_search(
    study: Study,
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
    tags: Sequence[str] = (),
    cwd: str | Path | None = None,
) -> EnqueueResult:
    """Queue a search for workers (see :meth:`hyperlab.Study.enqueue_search`)."""
    from hyperlab.search.session import SearchSession
    from hyperlab.search.target import SAMPLERS

    if sampler not in SAMPLERS:
        raise InvalidValueError(f"unknown sampler {sampler!r}; valid: {', '.join(SAMPLERS)}")
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise InvalidValueError(f"n must be an integer >= 1, got {n!r}")
    parsed = _as_space(space)
    common: dict[str, Any] = {
        "command": command,
        "function": function,
        "priority": priority,
        "max_attempts": max_attempts,
        "tags": tags,
        "cwd": cwd,
    }
    if sampler == "grid":
        points: Any = parsed if n is None else list(parsed)[:n]
        return enqueue(study, points, **common)
    distinct = parsed.distinct_size()
    if n is None:
        if distinct is None:
            raise InvalidValueError(
                f"sampler {sampler!r} over a continuous space needs n (how many runs), e.g. n=50"
            )
        n = distinct
    wanted = n if distinct is None else min(n, distinct)
    if sampler == "random":
        return enqueue(study, parsed.sample(wanted, seed=seed), **common)
    # Model-based: check everything a worker will need now, so mistakes fail here.
    SearchSession(
        study, parsed, sampler=sampler, metric=metric, direction=direction, pruner="none"
    )
    if command is not None:
        example = parsed.sample(1, replace=True, seed=0)[0]
        render_command(command, effective(study.record, codec.flatten(example)))
    spec = _spec(command, function, str(Path(cwd or os.getcwd()).resolve()))
    search_id = uuid.uuid4().hex[:12]
    items = [
        q.QueuedRun(
            flat_params={},
            params_hash="",
            spec={
                **spec,
                "search": {
                    "id": search_id,
                    "index": i,
                    "n": wanted,
                    "sampler": sampler,
                    "space": str(parsed),
                    "metric": _metric_list(metric),
                    "direction": _metric_list(direction),
                    "seed": seed,
                },
            },
            priority=priority,
            max_attempts=max_attempts,
            tags=tags,
        )
        for i in range(wanted)
    ]
    with study.store.write() as conn:
        ids = q.enqueue_runs(conn, study.id, items)
        for run_id in ids:
            # enqueue_runs stores the hash given; a placeholder has none until it is claimed.
            run_rows.update(conn, run_id, params_hash=None)
    return EnqueueResult(run_ids=ids)


def needs_suggestion(spec: dict[str, Any], params: dict[str, Any]) -> bool:
    """Whether a claimed run is a queued-search placeholder still waiting for its params."""
    search = spec.get("search")
    return isinstance(search, dict) and not search.get("filled") and not params


def _session(study: Study, search: dict[str, Any]) -> SearchSession:
    from hyperlab.search.session import SearchSession
    from hyperlab.space import parse_space

    seed = search.get("seed")
    # One seed per placeholder: reproducible for a given history, and two workers starting at
    # once do not walk through the same random start-up points.
    run_seed = None if seed is None else (int(seed) * 1_000_003 + int(search["index"])) % 2**32
    return SearchSession(
        study,
        parse_space(str(search["space"])),
        sampler=str(search["sampler"]),
        metric=search.get("metric"),
        direction=search.get("direction"),
        seed=run_seed,
        pruner="none",
    )


def _history(session: SearchSession) -> int:
    from optuna.trial import TrialState

    return len(session.optuna_study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))


def _choose(session: SearchSession, taken: set[str]) -> dict[str, Any]:
    """A configuration from the sampler that is not in ``taken`` (effective-params hashes)."""
    for _ in range(MAX_PROPOSALS):
        proposal = session.propose()
        if proposal is None:
            break
        digest = proposal.params_hash or session.effective_hash(proposal.params)
        if digest not in taken:
            return proposal.params
        session.tell(proposal, None, RunState.FAILED.value)
    space = session.space
    if space is not None and space.distinct_size() is not None:
        free = [dict(p) for p in space if session.effective_hash(dict(p)) not in taken]
        if free:
            return session.rng.choice(free)
    raise StateError(
        f"the queued search of study {session.study.record.label!r} found no configuration "
        "left: every point of its space has completed or is queued or running"
    )


def suggest_params(store: Store, study: Study, claim: q.Claim) -> q.Claim:
    """Ask the search's sampler for a claimed placeholder's params and store them.

    The sampler is warm-started with every finished run of the study (so the suggestion sees
    all results so far). The chosen configuration differs from every completed, queued or
    running configuration of the study.

    Returns:
        The claim with its params filled in.

    Raises:
        StateError: when the space has no configuration left.
    """
    from hyperlab.space.hashing import params_hash

    search = dict(claim.spec["search"])
    session = _session(study, search)
    history = _history(session)
    with store.write() as conn:
        # Locks the study's configurations (PostgreSQL advisory lock; SQLite write lock).
        configs = q.study_configs(
            conn, study.id, [RunState.COMPLETED, RunState.QUEUED, RunState.RUNNING]
        )
        taken = {session.effective_hash(flat) for _, flat in configs if flat}
        flat = codec.flatten(_choose(session, taken))
        spec = {**claim.spec, "search": {**search, "filled": True}}
        run_rows.merge_kv(conn, claim.run_id, flat, table="params")
        run_rows.merge_kv(
            conn,
            claim.run_id,
            {HISTORY_META: history, "search.sampler": search["sampler"]},
            table="meta",
        )
        run_rows.update(conn, claim.run_id, params_hash=params_hash(flat), spec=spec)
    return dataclasses.replace(claim, params=flat, spec=spec)


__all__ = ["HISTORY_META", "enqueue_search", "needs_suggestion", "suggest_params"]
