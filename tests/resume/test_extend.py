"""Extending the budget of past runs: pick the largest budget not above the target."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import hyperlab as hl
from hyperlab.errors import InvalidValueError
from hyperlab.store import Store

from .model import fresh, train


def _trained(study: Any, x: Any, y: Any, **params: Any) -> int:
    with study.start_run(params) as run:
        train(run, x, y)
    return run.id


def test_extend_15_to_17_equals_fresh_training(store: Store, dataset: Any) -> None:
    x, y = dataset
    study = hl.study("ext", store=store)
    ids = {e: _trained(study, x, y, lr=0.01, epochs=e) for e in (10, 20, 15)}
    other = _trained(study, x, y, lr=0.05, epochs=5)

    plans = study.extend(None, "epochs", 17)
    by_parent = {p.parent_run_id: p for p in plans}
    assert set(by_parent) == {ids[15], other}  # not 10 (smaller) nor 20 (above the target)
    plan = by_parent[ids[15]]
    assert (plan.from_budget, plan.to_budget, plan.fork_step) == (15, 17, 14)
    assert store.get_run(plan.run_id).state == "queued"

    with study.open_run(plan.run_id) as run:
        assert run.params == {"lr": 0.01, "epochs": 17}
        model = train(run, x, y)
    own = hl.history(plan.run_id, "acc", store=store)
    assert list(own["step"]) == [15, 16]  # trained only the 2 missing epochs
    assert np.array_equal(model.coef_, fresh(x, y, 17, 0.01).coef_)
    stitched = hl.history(plan.run_id, "acc", store=store, stitched=True)
    assert list(stitched["step"]) == list(range(17))

    record = store.get_run(plan.run_id)
    assert record.parent_run_id == ids[15]
    assert record.changes == {"epochs": 17}
    assert record.meta["lineage.kind"] == "extend"

    # The other configuration is still queued, so a second request queues nothing new.
    assert study.extend(None, "epochs", 17) == []


def test_extend_dry_run_and_expression(store: Store, dataset: Any) -> None:
    x, y = dataset
    study = hl.study("ext", store=store)
    low = _trained(study, x, y, lr=0.01, epochs=3)
    _trained(study, x, y, lr=0.05, epochs=3)
    plans = study.extend("lr < 0.03", "epochs", 6, dry_run=True)
    assert [(p.parent_run_id, p.run_id) for p in plans] == [(low, None)]
    assert len(study.runs()) == 2  # nothing was created


def test_extend_needs_a_numeric_budget(store: Store, dataset: Any) -> None:
    x, y = dataset
    study = hl.study("ext", store=store)
    _trained(study, x, y, lr=0.01, epochs=2)
    with pytest.raises(InvalidValueError, match="numeric param 'steps'"):
        study.extend(None, "steps", 10)
    with pytest.raises(InvalidValueError, match="must be a number"):
        study.extend(None, "epochs", "many")  # type: ignore[arg-type]


def test_extend_uses_study_defaults_for_the_budget(store: Store) -> None:
    study = hl.study("ext", defaults={"epochs": 2}, store=store)
    with study.start_run({"lr": 0.01}) as run:  # epochs comes from the default
        for epoch in range(2):
            run.log(step=epoch, acc=0.5)
            run.checkpoint(b"x", step=epoch)
    plans = study.extend(None, "epochs", 4)
    assert [(p.parent_run_id, p.from_budget, p.fork_step) for p in plans] == [(run.id, 2, 1)]
