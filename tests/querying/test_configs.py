"""Identity and configurations: ``study.find``, ``find_runs``, ``set_default`` with ``force`` and
``hl.query(..., group_by="config")``."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest

import hyperlab as hl
from hyperlab.errors import InvalidValueError, StateError
from hyperlab.querying.configs import find_runs
from hyperlab.store import Store, forget_open_stores, open_store
from hyperlab.tracking import writer


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    forget_open_stores()
    opened = open_store(store_url)
    yield opened
    for w in list(writer._STRONG.values()):
        w.close()
    writer._STRONG.clear()
    forget_open_stores()


def test_find_tolerates_float_noise_and_matches_new_params_at_default(store: Store) -> None:
    study = hl.study("c", store=store)
    study.record_run({"lr": 0.1 + 0.2, "opt": "adam"})  # 1
    study.record_run({"lr": 0.3, "opt": "sgd"})  # 2
    study.set_default("dropout", 0.0)  # the new param: older runs behaved as 0.0
    study.record_run({"lr": 0.3, "opt": "adam", "dropout": 0.0})  # 3
    study.record_run({"lr": 0.3, "opt": "adam", "dropout": 0.5})  # 4
    found = find_runs(store, study.record, {"lr": 0.3, "opt": "adam"})
    assert [r.number for r in store.get_runs(found)] == [1, 3]
    found = find_runs(store, study.record, {"lr": 0.3, "opt": "adam", "dropout": 0.0})
    assert [r.number for r in store.get_runs(found)] == [1, 3]
    found = find_runs(store, study.record, {"lr": 0.3000001, "opt": "adam"})
    assert found == []  # beyond the tolerance
    assert [r.number for r in study.find({"lr": 0.3, "opt": "adam", "dropout": 0.0})] == [1, 3]
    assert [r.number for r in study.find({"lr": 0.3, "opt": "adam", "dropout": 0.5})] == [4]


def test_find_applies_conditional_defaults(store: Store) -> None:
    study = hl.study("c", store=store)
    study.record_run({"lr": 0.0001})
    study.record_run({"lr": 0.1})
    study.set_default("epochs", 100, when="lr < 0.001")
    found = find_runs(store, study.record, {"lr": 0.0001, "epochs": 100})
    assert [r.number for r in store.get_runs(found)] == [1]
    assert find_runs(store, study.record, {"lr": 0.1, "epochs": 100}) == []
    found = find_runs(store, study.record, {"lr": 0.1}, states=["completed"])
    assert [r.number for r in store.get_runs(found)] == [2]
    assert find_runs(store, study.record, {"lr": 0.1}, states=["failed"]) == []


def test_changing_a_default_needs_force_and_says_how_many_runs_change(store: Store) -> None:
    study = hl.study("c", defaults={"dropout": 0.0}, store=store)
    for params in ({"lr": 0.1}, {"lr": 0.2}, {"lr": 0.3, "dropout": 0.5}):
        study.record_run(params)
    with pytest.raises(StateError, match=r"changes the meaning of 2 run\(s\).*force=True"):
        study.set_default("dropout", 0.1)
    assert hl.query("dropout == 0", study="c", store=store)["number"].tolist() == [1, 2]
    assert study.set_default("dropout", 0.0) == 0  # the same value is no change
    assert study.set_default("dropout", 0.1, force=True) == 2
    assert sorted(hl.query("dropout == 0.1", study="c", store=store)["number"]) == [1, 2]


def test_group_by_config_summarises_repetitions(store: Store) -> None:
    study = hl.study("c", directions={"acc": "max"}, store=store)
    for seed, acc in enumerate([0.5, 0.7, 0.6]):
        study.record_run({"lr": 0.1, "seed": seed}, final={"acc": acc, "loss": 1 - acc})
    study.record_run({"lr": 0.01, "seed": 0}, final={"acc": 0.9})
    study.set_default("dropout", 0.0)
    study.record_run({"lr": 0.01, "dropout": 0.0, "seed": 1}, final={"acc": 0.8})
    study.record_run({"lr": 0.01, "dropout": 0.3, "seed": 1}, final={"acc": 0.4})
    summary = hl.query(study="c", store=store, group_by="config")
    assert summary.index.name == "config"
    assert "params.seed" not in summary.columns
    rows = {(row["params.lr"], row["params.dropout"]): row for _, row in summary.iterrows()}
    assert set(rows) == {(0.1, 0.0), (0.01, 0.0), (0.01, 0.3)}
    first = rows[(0.1, 0.0)]
    assert first["runs"] == 3
    assert first["metrics.acc.count"] == 3
    assert math.isclose(first["metrics.acc.mean"], 0.6)
    assert math.isclose(first["metrics.acc.std"], 0.1)
    assert (first["metrics.acc.min"], first["metrics.acc.max"]) == (0.5, 0.7)
    assert math.isclose(first["metrics.loss.mean"], 0.4)
    second = rows[(0.01, 0.0)]  # an old run and a run passing dropout at its default
    assert second["runs"] == 2
    assert math.isclose(second["metrics.acc.mean"], 0.85)
    assert second["metrics.loss.count"] == 0
    assert math.isnan(second["metrics.loss.mean"])
    assert rows[(0.01, 0.3)]["metrics.acc.std"] == 0.0
    filtered = hl.query("lr < 0.05", study="c", store=store, group_by="config")
    assert sorted(filtered["runs"]) == [1, 2]
    by_lr = hl.query(study="c", store=store, group_by="config", columns=["lr", "acc"])
    assert sorted(by_lr["runs"]) == [3, 3]
    with pytest.raises(InvalidValueError, match="group_by"):
        hl.query(study="c", store=store, group_by="seed")
