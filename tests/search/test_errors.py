"""Errors say what was wrong, the bad value and what is valid."""

from __future__ import annotations

from typing import Any

import pytest

import hyperlab as hl
from hyperlab.errors import InvalidValueError


def _objective(params: dict[str, Any]) -> float:
    return float(params["x"])


SPACE = {"x": [1, 2]}


def test_unknown_sampler_lists_the_valid_ones(study: hl.Study) -> None:
    with pytest.raises(
        InvalidValueError,
        match=r"unknown sampler 'bayes'; valid: grid, random, "
        r"tpe, cmaes, gp, nsga2",
    ):
        hl.optimize(_objective, study=study, space=SPACE, sampler="bayes", n_trials=1)


def test_unknown_direction_lists_the_valid_ones(study: hl.Study) -> None:
    with pytest.raises(InvalidValueError, match=r"unknown direction 'up'; valid: min, max"):
        hl.optimize(_objective, study=study, space=SPACE, metric="acc", direction="up", n_trials=1)


def test_metric_without_direction_asks_for_one(study: hl.Study) -> None:
    with pytest.raises(InvalidValueError, match=r"no direction for metric\(s\) 'acc'"):
        hl.optimize(_objective, study=study, space=SPACE, metric="acc", n_trials=1)


def test_study_without_metric_asks_for_one(store: hl.Store) -> None:
    bare = hl.study("bare", store=store)
    with pytest.raises(InvalidValueError, match="declares no metric direction"):
        hl.optimize(_objective, study=bare, space=SPACE, n_trials=1)


def test_direction_given_is_recorded_on_the_study(store: hl.Store) -> None:
    bare = hl.study("bare", store=store)
    hl.optimize(
        _objective, study=bare, space=SPACE, metric="acc", direction="maximize", sampler="grid"
    )
    assert hl.study("bare", store=store).directions == {"acc": "max"}
    assert bare.best_params() == {"x": 2}


def test_counts_and_missing_space_are_checked(study: hl.Study) -> None:
    with pytest.raises(InvalidValueError, match="n_trials must be an integer >= 0, got -1"):
        hl.optimize(_objective, study=study, space=SPACE, n_trials=-1)
    with pytest.raises(InvalidValueError, match="needs n_trials"):
        hl.optimize(_objective, study=study, space=SPACE)
    with pytest.raises(InvalidValueError, match="objective taking params needs a space"):
        hl.optimize(_objective, study=study, n_trials=1)
    with pytest.raises(InvalidValueError, match="'grid' needs a space"):
        hl.optimize(lambda run: 1.0, study=study, sampler="grid")
    with pytest.raises(InvalidValueError, match="'cmaes' optimises one metric"):
        hl.optimize(
            _objective,
            study=study,
            space=SPACE,
            metric=["a", "b"],
            direction=["min", "min"],
            sampler="cmaes",
            n_trials=1,
        )


def test_objective_result_missing_the_metric_fails_the_run(study: hl.Study) -> None:
    with pytest.raises(InvalidValueError, match=r"without loss; return a dict with loss"):
        hl.optimize(lambda p: {"acc": 1.0}, study=study, space=SPACE, sampler="grid")
    assert list(study.trials()["state"]) == ["failed"]


def test_catch_keeps_the_search_going(study: hl.Study) -> None:
    def flaky(params: dict[str, Any]) -> float:
        if params["x"] == 1:
            raise RuntimeError("diverged")
        return 0.0

    hl.optimize(flaky, study=study, space=SPACE, sampler="grid", catch=(RuntimeError,))
    assert sorted(study.trials()["state"]) == ["completed", "failed"]


def test_gp_without_torch_says_what_to_install(study: hl.Study) -> None:
    import importlib.util

    if importlib.util.find_spec("torch") is not None:
        pytest.skip("PyTorch is installed: the gp sampler is available here")
    with pytest.raises(InvalidValueError, match="needs PyTorch"):
        hl.optimize(_objective, study=study, space=SPACE, sampler="gp", n_trials=1)
