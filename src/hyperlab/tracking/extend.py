"""Extend the budget of past runs (HPSearch's "extend epochs").

For each configuration (runs with the same effective params except the budget param), the
completed run with the largest budget not above the target is forked from its last checkpoint
with the budget set to the target, so only the missing part is trained. With runs at 10, 20
and 15 epochs, a target of 17 forks the 15-epoch run, which then trains 2 more epochs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hyperlab.errors import InvalidValueError
from hyperlab.store import RunRecord, RunState, codec
from hyperlab.store import lineage as lineage_sql
from hyperlab.tracking.lineage import create_fork, plan_fork

if TYPE_CHECKING:
    from hyperlab.tracking.study import Study

_PENDING_STATES = frozenset(
    {RunState.COMPLETED.value, RunState.RUNNING.value, RunState.QUEUED.value}
)


@dataclass(frozen=True)
class ExtendPlan:
    """One configuration to extend.

    Attributes:
        parent_run_id: The run forked (the largest budget not above the target).
        parent_ref: Its ``study/number``.
        from_budget: The parent's budget.
        to_budget: The target budget.
        fork_step: The step the fork continues after (the parent's last checkpoint).
        run_id: The queued fork (None on a dry run).
    """

    parent_run_id: int
    parent_ref: str
    from_budget: float
    to_budget: float
    fork_step: int
    run_id: int | None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _config_key(params: Mapping[str, Any], budget_param: str) -> str:
    rest = {k: v for k, v in params.items() if k != budget_param}
    return json.dumps(codec.to_jsonable(rest), sort_keys=True)


def extend_runs(
    study: Study,
    expr: str | None,
    budget_param: str,
    target: float,
    *,
    changes: Mapping[str, Any] | None = None,
    dry_run: bool = False,
) -> list[ExtendPlan]:
    """Queue forks that extend every matching configuration to ``target`` (see module doc).

    Args:
        study: The study whose runs are extended (forks go into it too).
        expr: A query selecting the runs to consider (None: all runs of the study).
        budget_param: The budget param (``epochs``).
        target: The budget to reach.
        changes: Other params to change in the forks.
        dry_run: Only return the plans; create nothing.

    Returns:
        One plan per configuration extended. Configurations that already have a run at the
        target (completed, running or queued) or no completed run below it are skipped.
    """
    goal = _number(target)
    if goal is None:
        raise InvalidValueError(f"the target budget must be a number, got {target!r}")
    store = study.store
    with store.read() as conn:
        ids = lineage_sql.study_run_ids(conn, study.id)
    if expr:
        chosen = {int(i) for i in study.runs(expr).index}
        ids = [i for i in ids if i in chosen]
    defaults = study.defaults
    groups: dict[str, list[tuple[RunRecord, float]]] = {}
    for record in store.get_runs(ids):
        effective = {**defaults, **record.params}
        budget = _number(effective.get(budget_param))
        if budget is None:
            continue
        groups.setdefault(_config_key(effective, budget_param), []).append((record, budget))
    if not groups and ids:
        raise InvalidValueError(
            f"no selected run has a numeric param {budget_param!r}; pass the budget param "
            "that holds the training length (e.g. epochs)"
        )
    plans = []
    for members in groups.values():
        if any(b == goal and r.state in _PENDING_STATES for r, b in members):
            continue
        below = [
            (b, r.id, r) for r, b in members if b < goal and r.state == RunState.COMPLETED.value
        ]
        if not below:
            continue
        budget, _, parent = max(below, key=lambda item: (item[0], item[1]))
        value: Any = int(goal) if float(goal).is_integer() else goal
        plan = plan_fork(store, parent, None, {**(changes or {}), budget_param: value})
        run_id = None
        if not dry_run:
            run_id, _ = create_fork(study, plan, state=RunState.QUEUED, kind="extend")
        plans.append(
            ExtendPlan(parent.id, parent.ref, budget, float(goal), plan.fork_step, run_id)
        )
    return sorted(plans, key=lambda p: p.parent_run_id)
