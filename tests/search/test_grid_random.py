"""Grid and random samplers: coverage, reproducibility, skipping completed configurations."""

from __future__ import annotations

from typing import Any

import hyperlab as hl


def _params(study: hl.Study, keys: list[str]) -> list[tuple[Any, ...]]:
    frame = study.trials()
    return [tuple(row[f"params.{k}"] for k in keys) for _, row in frame.iterrows()]


def test_grid_runs_every_point_exactly_once(study: hl.Study) -> None:
    space = hl.ParamSpace(a=[1, 2, 3], b=["x", "y"], c=0.5)
    seen: list[dict[str, Any]] = []

    def objective(params: dict[str, Any]) -> float:
        seen.append(params)
        return float(params["a"])

    hl.optimize(objective, study=study, space=space, sampler="grid")
    assert len(seen) == len(space) == 6
    assert sorted((p["a"], p["b"]) for p in seen) == sorted((p["a"], p["b"]) for p in space)
    assert all(p["c"] == 0.5 for p in seen)
    assert sorted(study.trials()["state"]) == ["completed"] * 6


def test_grid_skips_completed_points_and_runs_only_new_ones(study: hl.Study) -> None:
    calls: list[dict[str, Any]] = []

    def objective(params: dict[str, Any]) -> float:
        calls.append(params)
        return float(params["a"] * params["b"])

    hl.optimize(objective, study=study, space={"a": [1, 2], "b": [3, 4]}, sampler="grid")
    hl.optimize(objective, study=study, space={"a": [1, 2], "b": [3, 4]}, sampler="grid")
    assert len(calls) == 4  # the second search found everything done
    hl.optimize(objective, study=study, space={"a": [1, 2, 5], "b": [3, 4]}, sampler="grid")
    assert [c["a"] for c in calls[4:]] == [5, 5]
    assert len(study.trials()) == 6


def test_grid_repeat_runs_completed_points_again(study: hl.Study) -> None:
    space = {"a": [1, 2]}
    hl.optimize(lambda p: p["a"], study=study, space=space, sampler="grid")
    hl.optimize(lambda p: p["a"], study=study, space=space, sampler="grid", repeat=True)
    assert len(study.trials()) == 4


def test_hand_made_run_counts_as_done(study: hl.Study) -> None:
    study.record_run(params={"a": 2, "b": 3}, final={"loss": 6.0})
    calls: list[dict[str, Any]] = []
    hl.optimize(
        lambda p: calls.append(p) or 1.0,
        study=study,
        space={"a": [1, 2], "b": [3]},
        sampler="grid",
    )
    assert calls == [{"a": 1, "b": 3}]


def test_new_param_at_its_default_matches_old_runs(store: hl.Store) -> None:
    old = hl.study("defaults", directions={"loss": "min"}, store=store)
    old.record_run(params={"lr": 0.1}, final={"loss": 1.0})
    # A new param "dropout" whose default (0.0) is the old behaviour.
    study = hl.study("defaults", defaults={"dropout": 0.0}, store=store)
    calls: list[dict[str, Any]] = []
    hl.optimize(
        lambda p: calls.append(p) or 0.5,
        study=study,
        space={"lr": [0.1], "dropout": [0.0, 0.5]},
        sampler="grid",
    )
    assert calls == [{"lr": 0.1, "dropout": 0.5}]


def test_random_is_reproducible_with_a_seed(store: hl.Store) -> None:
    space = hl.ParamSpace(
        x=hl.Uniform(0, 1), n=hl.IntUniform(1, 100), opt=hl.Categorical(["adam", "sgd"])
    )
    draws = []
    for name in ("r1", "r2", "r3"):
        study = hl.study(name, directions={"loss": "min"}, store=store)
        seed = 3 if name != "r3" else 4
        hl.optimize(
            lambda p: p["x"], study=study, space=space, sampler="random", n_trials=8, seed=seed
        )
        rows = study.trials().sort_values("number")
        draws.append([tuple(r) for r in rows[["params.x", "params.n", "params.opt"]].values])
    assert draws[0] == draws[1]
    assert draws[0] != draws[2]
    assert len(set(draws[0])) == 8


def test_random_honours_categorical_weights(study: hl.Study) -> None:
    space = {"kind": hl.Categorical(["common", "rare"], weights=[9, 1]), "i": range(200)}
    hl.optimize(lambda p: 0.0, study=study, space=space, sampler="random", n_trials=60, seed=0)
    counts = study.trials()["params.kind"].value_counts()
    assert counts["common"] > 3 * counts.get("rare", 0)


def test_parallel_trials_run_each_grid_point_once(study: hl.Study) -> None:
    space = {"a": list(range(8))}
    hl.optimize(lambda p: float(p["a"]), study=study, space=space, sampler="grid", n_jobs=3)
    frame = study.trials()
    assert sorted(frame["params.a"]) == list(range(8))
    assert set(frame["state"]) == {"completed"}
