"""Define-by-run sampling inside a run (hypero's style): values and distributions are stored."""

from __future__ import annotations

import json
from typing import Any

import pytest

import hyperlab as hl
from hyperlab.errors import SpaceError
from hyperlab.space import Distribution
from hyperlab.store import Store
from hyperlab.tracking.suggest import RandomSuggester, space_from_meta


def _hyper_experiment(run: hl.Run) -> dict[str, Any]:
    lr = run.suggest_float("lr", 0.00001, 0.1, log=True)
    decay = run.suggest_categorical("lr decay", ["linear", "adaptive"], weights=[0.8, 0.2])
    out: dict[str, Any] = {"lr": lr, "lr decay": decay}
    if decay == "linear":
        out["min lr"] = run.suggest_float("min lr", lr / 1000, lr / 10, log=True)
        out["saturate"] = run.suggest_normal("saturate", 600, 200)
    else:
        out["layers"] = run.suggest_int("layers", 1, 4)
    return out


def test_conditional_sampling_stores_each_value_and_its_distribution(store: Store) -> None:
    study = hl.study("rnn-attention", version="3", store=store)
    branches = set()
    for seed in range(12):
        with study.start_run() as run:
            run.set_suggester(RandomSuggester(seed))
            values = _hyper_experiment(run)
            run.log(val_acc=0.5)
        record = store.get_run(run.id)
        assert record.params == values
        space = space_from_meta(record.meta)
        assert set(space) == set(values)
        assert space["lr"] == hl.LogUniform(1e-5, 0.1)
        assert space["lr decay"] == hl.Categorical(["linear", "adaptive"], weights=[0.8, 0.2])
        assert json.loads(record.meta["distribution.lr"]) == {
            "type": "loguniform",
            "lo": 1e-05,
            "hi": 0.1,
        }
        if values["lr decay"] == "linear":
            assert space["min lr"] == hl.LogUniform(values["lr"] / 1000, values["lr"] / 10)
            assert space["saturate"] == hl.Normal(600, 200)
        else:
            assert space["layers"] == hl.IntUniform(1, 4)
            assert isinstance(values["layers"], int)
        assert run.suggested == space
        branches.add(values["lr decay"])
    assert branches == {"linear", "adaptive"}


def test_a_seeded_suggester_makes_runs_reproducible(store: Store) -> None:
    study = hl.study("repro", store=store)
    drawn = []
    for _ in range(2):
        with study.start_run() as run:
            run.set_suggester(RandomSuggester(seed=42))
            drawn.append(_hyper_experiment(run))
    assert drawn[0] == drawn[1]


def test_a_param_the_run_already_has_is_returned_and_checked(store: Store) -> None:
    study = hl.study("preset", store=store)
    with study.start_run(params={"lr": 0.01, "layers": 3, "depth": 10}) as run:
        assert run.suggest_float("lr", 1e-5, 1e-1, log=True) == 0.01
        assert run.suggest_int("layers", 1, 4) == 3
        with pytest.raises(SpaceError, match=r"'depth' is already 10.*outside intuniform\(1,4\)"):
            run.suggest_int("depth", 1, 4)
    record = store.get_run(run.id)
    assert record.params["lr"] == 0.01
    assert Distribution.from_dict(json.loads(record.meta["distribution.lr"])) == hl.LogUniform(
        1e-5, 1e-1
    )


def test_suggesting_a_name_twice(store: Store) -> None:
    with hl.start_run("twice", store=store) as run:
        first = run.suggest_categorical("arch", [[64, 64], [128], {"kind": "cnn"}])
        assert run.suggest_categorical("arch", [[64, 64], [128], {"kind": "cnn"}]) == first
        with pytest.raises(SpaceError, match="already suggested from choice"):
            run.suggest_categorical("arch", ["other"])
    assert store.get_run(run.id).params["arch"] == first


class _Constant:
    """A suggester that proposes one value for everything (a stand-in for a tuner)."""

    def __init__(self, value: Any) -> None:
        self.value = value
        self.asked: list[tuple[str, Distribution]] = []

    def suggest(self, name: str, distribution: Distribution) -> Any:
        self.asked.append((name, distribution))
        return self.value


def test_a_suggester_decides_values_and_is_checked(store: Store) -> None:
    with hl.start_run("tuned", store=store) as run:
        tuner = _Constant(0.5)
        run.set_suggester(tuner)
        assert run.suggest_float("dropout", 0.0, 0.9) == 0.5
        assert tuner.asked == [("dropout", hl.Uniform(0.0, 0.9))]
        with pytest.raises(
            SpaceError, match=r"the suggester gave momentum=0\.5, which is outside"
        ):
            run.suggest_float("momentum", 0.9, 0.99)
    assert "momentum" not in store.get_run(run.id).params


def test_bad_distributions_fail_before_anything_is_stored(store: Store) -> None:
    with hl.start_run("bad", store=store) as run:
        with pytest.raises(SpaceError, match="loguniform needs lo > 0"):
            run.suggest_float("lr", 0, 1, log=True)
        with pytest.raises(SpaceError, match="non-empty string"):
            run.suggest_int("", 0, 1)
    record = store.get_run(run.id)
    assert record.params == {}
    assert not space_from_meta(record.meta)
