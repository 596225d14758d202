"""Pruning: run.report / run.should_prune against the study's other curves; state pruned."""

from __future__ import annotations

import pytest

import hyperlab as hl


def _good_history(study: hl.Study, n: int = 6) -> None:
    study.record_runs(
        {
            "params": {"x": i},
            "curves": {"loss": [1.0 / (step + 1) for step in range(5)]},
            "final": {"loss": 0.2},
        }
        for i in range(n)
    )


def test_trial_pruned_ends_the_run_in_state_pruned(study: hl.Study) -> None:
    def objective(run: hl.Run) -> float:
        run.report(10.0, 0)
        raise hl.TrialPruned()

    hl.optimize(objective, study=study, n_trials=2, sampler="random", seed=0)
    frame = study.trials()
    assert list(frame["state"]) == ["pruned", "pruned"]
    assert study.store.get_run(int(frame.index[0])).error is None


def test_with_block_ends_quietly_on_trial_pruned(study: hl.Study) -> None:
    with study.start_run(params={"x": 1}) as run:
        raise hl.TrialPruned()
    assert study.store.get_run(run.id).state == "pruned"


def test_median_pruner_stops_a_run_worse_than_the_others(study: hl.Study) -> None:
    _good_history(study)
    decisions: list[bool] = []

    def objective(run: hl.Run) -> float:
        bad = run.suggest_categorical("bad", [True, False]) is True
        for step in range(5):
            run.report(5.0 if bad else 0.1 / (step + 1), step)
            if run.should_prune():
                decisions.append(bad)
                raise hl.TrialPruned()
        return 0.01

    hl.optimize(objective, study=study, n_trials=8, sampler="random", seed=1)
    frame = study.trials()
    pruned = frame[frame["state"] == "pruned"]
    completed_new = frame[(frame["state"] == "completed") & frame["params.bad"].notna()]
    assert len(pruned) >= 1
    assert all(decisions)
    assert (pruned["params.bad"] == True).all()  # noqa: E712
    assert (completed_new["params.bad"] == False).all()  # noqa: E712
    # The reported values are the run's curve of the searched metric.
    points = study.store.read_points([int(pruned.index[0])], ["loss"])
    assert points[0].values[0] == 5.0


def test_should_prune_works_for_a_run_started_by_hand(study: hl.Study) -> None:
    _good_history(study)
    with study.start_run(params={"x": 99}) as run:
        run.report(50.0, 0)
        assert run.should_prune()
    with study.start_run(params={"x": 100}) as run:
        run.report(0.01, 0)
        assert not run.should_prune()


def test_halving_pruner_is_accepted_and_unknown_pruner_is_not(study: hl.Study) -> None:
    hl.optimize(
        lambda p: p["x"], study=study, space={"x": [1, 2]}, sampler="grid", pruner="halving"
    )
    with pytest.raises(hl.HyperlabError, match=r"unknown pruner 'mean'.*median, halving, none"):
        hl.optimize(lambda p: p["x"], study=study, space={"x": [1]}, pruner="mean", n_trials=1)
