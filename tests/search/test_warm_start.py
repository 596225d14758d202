"""Model-based samplers learn from every past run of the study (warm start)."""

from __future__ import annotations

import random
import statistics
from typing import Any

import pytest

import hyperlab as hl
from hyperlab.search import SearchSession


def bowl(params: dict[str, Any]) -> float:
    """A smooth 2-D function with its minimum 0 at x=0.73, y=0.21 (on [0, 1]²)."""
    return float((params["x"] - 0.73) ** 2 + (params["y"] - 0.21) ** 2)


SPACE = {"x": hl.Uniform(0, 1), "y": hl.Uniform(0, 1)}


def _record_history(study: hl.Study, n: int, seed: int) -> None:
    rng = random.Random(seed)
    items = []
    for _ in range(n):
        params = {"x": rng.random(), "y": rng.random()}
        items.append({"params": params, "final": {"loss": bowl(params)}})
    study.record_runs(items)


def _new_values(study: hl.Study, n_past: int) -> list[float]:
    frame = study.trials().sort_values("number")
    return [float(v) for v in frame["loss"].iloc[n_past:]]


def test_session_is_fed_every_finished_run_in_the_space(study: hl.Study) -> None:
    _record_history(study, 12, seed=0)
    study.record_run(params={"x": 5.0, "y": 0.5}, final={"loss": 1.0})  # outside the space
    study.record_run(params={"x": 0.5}, final={"loss": 1.0})  # lacks y
    study.record_run(params={"x": 0.5, "y": 0.5})  # no loss
    study.record_run(params={"x": 0.5, "y": 0.5}, final={"loss": 2.0}, state="failed")
    with study.start_run(params={"x": 0.2, "y": 0.3}) as run:  # tracked by hand
        run.log(loss=0.5)
    session = SearchSession(study, SPACE, sampler="tpe", seed=0)
    assert len(session.optuna_study.trials) == 13
    assert session.outside == 3


def test_include_versions_feeds_runs_of_other_versions(store: hl.Store) -> None:
    old = hl.study("versions", version="1", directions={"loss": "min"}, store=store)
    _record_history(old, 5, seed=1)
    new = hl.study("versions", version="2", directions={"loss": "min"}, store=store)
    assert len(SearchSession(new, SPACE).optuna_study.trials) == 0
    session = SearchSession(new, SPACE, include_versions=["1"])
    assert len(session.optuna_study.trials) == 5


def test_warm_started_tpe_searches_a_better_region_than_random(store: hl.Store) -> None:
    n_past, n_new = 30, 12
    tpe_medians, random_medians = [], []
    for seed in range(3):
        for sampler, medians in (("tpe", tpe_medians), ("random", random_medians)):
            study = hl.study(f"bowl-{sampler}-{seed}", directions={"loss": "min"}, store=store)
            _record_history(study, n_past, seed=100 + seed)
            hl.optimize(bowl, study=study, space=SPACE, sampler=sampler, n_trials=n_new, seed=seed)
            values = _new_values(study, n_past)
            assert len(values) == n_new
            medians.append(statistics.median(values))
    # TPE's proposals concentrate near the optimum its warm start revealed; random's do not.
    assert statistics.median(tpe_medians) < 0.5 * statistics.median(random_medians)


@pytest.mark.parametrize("sampler", ["tpe", "cmaes", "nsga2"])
def test_model_samplers_propose_points_in_the_space(study: hl.Study, sampler: str) -> None:
    _record_history(study, 10, seed=2)
    space = {"x": hl.Uniform(0, 1), "y": hl.Uniform(0, 1), "k": [1, 2]}
    hl.optimize(
        lambda p: bowl(p) + p["k"], study=study, space=space, sampler=sampler, n_trials=5, seed=0
    )
    frame = study.trials()
    new = frame[frame["params.k"].notna()]
    assert len(new) == 5
    assert new["params.x"].between(0, 1).all()
    assert new["params.k"].isin([1, 2]).all()


def test_tpe_reuses_completed_configurations_of_a_small_space(study: hl.Study) -> None:
    calls: list[dict[str, Any]] = []

    def objective(params: dict[str, Any]) -> float:
        calls.append(params)
        return float(params["a"])

    hl.optimize(objective, study=study, space={"a": [1, 2, 3]}, n_trials=12, seed=0)
    assert len(calls) == len({c["a"] for c in calls}) <= 3
    assert len(study.trials()) == len(calls)


def test_define_by_run_history_warm_starts_the_next_search(study: hl.Study) -> None:
    def objective(run: hl.Run) -> float:
        x = run.suggest_float("x", 0.0, 1.0)
        y = run.suggest_float("y", 0.0, 1.0)
        return bowl({"x": x, "y": y})

    hl.optimize(objective, study=study, n_trials=6, sampler="random", seed=0)
    session = SearchSession(study, None, sampler="tpe")
    assert len(session.optuna_study.trials) == 6
    run_record = study.store.get_run(int(study.trials().index[0]))
    assert '"uniform"' in str(run_record.meta["distribution.x"])
