"""Ask/tell for external loops, results helpers and define-by-run params."""

from __future__ import annotations

import math

import pytest

import hyperlab as hl
from hyperlab.errors import StateError


def test_ask_tell_round_trip(study: hl.Study) -> None:
    space = {"lr": hl.LogUniform(1e-4, 1e-1), "layers": [1, 2, 3]}
    for _ in range(4):
        run = study.ask(space, seed=0)
        assert 1e-4 <= run.params["lr"] <= 1e-1
        assert run.params["layers"] in (1, 2, 3)
        study.tell(run, {"loss": math.log10(run.params["lr"]) ** 2, "acc": 0.5})
    frame = study.trials()
    assert len(frame) == 4
    assert set(frame["state"]) == {"completed"}
    best = study.best_run()
    assert best is not None
    assert best.id == int(frame.index[0])
    assert study.best_params() == {
        "lr": frame["params.lr"].iloc[0],
        "layers": frame["params.layers"].iloc[0],
    }
    assert study.store.metric_summaries(best.id)["acc"]["value"] == 0.5


def test_tell_uses_the_logged_metric_and_accepts_states(study: hl.Study) -> None:
    run = study.ask({"x": [1, 2, 3]}, sampler="grid")
    run.log(0, loss=0.7)
    run.log(1, loss=0.3)
    study.tell(run)
    assert study.trials()["loss"].iloc[0] == pytest.approx(0.3)
    other = study.ask({"x": [1, 2, 3]}, sampler="grid")
    assert other.params["x"] == 2
    study.tell(other, state="pruned")
    assert study.store.get_run(other.id).state == "pruned"


def test_tell_refuses_runs_not_from_ask_and_finished_runs(study: hl.Study) -> None:
    with (
        study.start_run(params={"x": 1}) as plain,
        pytest.raises(StateError, match=r"not started by study\.ask"),
    ):
        study.tell(plain, 1.0)
    run = study.ask({"x": [1]}, sampler="grid")
    study.tell(run, 1.0)
    with pytest.raises(StateError, match="already finished"):
        study.tell(run, 1.0)


def test_ask_on_an_exhausted_grid_says_so(study: hl.Study) -> None:
    study.tell(study.ask({"x": [1]}, sampler="grid"), 1.0)
    with pytest.raises(StateError, match="exhausted"):
        study.ask({"x": [1]}, sampler="grid")


def test_suggest_outside_a_search_samples_and_records_the_distribution(study: hl.Study) -> None:
    with study.start_run() as run:
        lr = run.suggest_float("lr", 1e-5, 1e-1, log=True)
        n = run.suggest_int("n", 1, 4)
        run.suggest_categorical("act", ["relu", "gelu"], weights=[1, 0])
        mu = run.suggest_normal("mu", 0.0, 1.0)
        assert run.suggest_float("lr", 1e-5, 1e-1, log=True) == lr  # asked again: same value
    record = study.store.get_run(run.id)
    assert record.params == {"lr": lr, "n": n, "act": "relu", "mu": mu}
    assert 1e-5 <= lr <= 1e-1
    assert 1 <= n <= 4
    assert "loguniform" in record.meta["distribution.lr"]


def test_params_objective_may_return_several_metrics(store: hl.Store) -> None:
    study = hl.study("multi", directions={"loss": "min", "size": "min"}, store=store)

    def objective(params: dict[str, float]) -> dict[str, float]:
        x = params["x"]
        return {"loss": (x - 1) ** 2, "size": x}

    hl.optimize(
        objective,
        study=study,
        space={"x": hl.Uniform(0, 2)},
        metric=["loss", "size"],
        sampler="nsga2",
        n_trials=12,
        seed=0,
    )
    front = study.pareto_front()
    everything = study.trials()
    assert len(everything) == 12
    assert 1 <= len(front) <= 12
    points = {i: (row["loss"], row["size"]) for i, row in everything.iterrows()}

    def dominates(a: tuple[float, float], b: tuple[float, float]) -> bool:
        return a[0] <= b[0] and a[1] <= b[1] and a != b

    for i, p in points.items():
        beaten = any(dominates(q, p) for q in points.values())
        assert beaten == (i not in front.index)
