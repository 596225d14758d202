"""Defaults and identity at the study level: set_default, conditional defaults, find, repeats."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner

import hyperlab as hl
from hyperlab.cli.main import cli
from hyperlab.errors import QueryError, StateError


def test_adding_a_default_applies_to_older_runs_without_rewriting_them(study: hl.Study) -> None:
    run_id = study.record_run(params={"lr": 0.1}, final={"loss": 1.0})
    assert study.set_default("dropout", 0.0) == 1  # one run now has dropout=0.0
    assert study.store.get_run(run_id).params == {"lr": 0.1}  # the row is untouched
    assert study.trials()["params.dropout"].tolist() == [0.0]
    assert [r.id for r in study.find({"lr": 0.1, "dropout": 0.0})] == [run_id]
    assert study.find({"lr": 0.1, "dropout": 0.5}) == []


def test_changing_a_default_needs_force_and_says_how_many_runs_change(study: hl.Study) -> None:
    study.record_runs([{"params": {"lr": 0.1}}, {"params": {"lr": 0.2, "dropout": 0.3}}])
    study.set_default("dropout", 0.0)
    with pytest.raises(StateError, match=r"changes the meaning of 1 run\(s\).*force=True"):
        study.set_default("dropout", 0.1)
    assert study.defaults == {"dropout": 0.0}
    assert study.set_default("dropout", 0.1, force=True) == 1
    assert study.defaults == {"dropout": 0.1}
    assert study.set_default("dropout", 0.1) == 0  # same value: no change, no force needed


def test_conditional_default_applies_where_its_condition_holds(study: hl.Study) -> None:
    study.record_runs(
        [
            {"params": {"lr": 0.0001}, "final": {"loss": 0.5}},
            {"params": {"lr": 0.1}, "final": {"loss": 0.7}},
            {"params": {"lr": 0.0001, "epochs": 3}, "final": {"loss": 0.9}},
        ]
    )
    study.set_default("epochs", 10)
    assert study.set_default("epochs", 100, when="lr < 0.001") == 1
    frame = study.trials().sort_values("number")
    assert frame["params.epochs"].tolist() == [100, 10, 3]
    assert len(study.find({"lr": 0.0001, "epochs": 100})) == 1
    with pytest.raises(QueryError, match="can only name params"):
        study.set_default("epochs", 5, when="min(loss) < 1")


def test_search_skips_a_configuration_known_through_a_conditional_default(
    study: hl.Study,
) -> None:
    study.record_run(params={"lr": 0.0001}, final={"loss": 0.5})
    study.set_default("epochs", 100, when="lr < 0.001")
    calls: list[dict[str, Any]] = []
    space = {"lr": [0.0001, 0.1], "epochs": [100]}
    hl.optimize(lambda p: calls.append(p) or 1.0, study=study, space=space, sampler="grid")
    assert calls == [{"lr": 0.1, "epochs": 100}]


def test_repeats_run_each_configuration_with_seeds_and_summarise(study: hl.Study) -> None:
    def objective(params: dict[str, Any]) -> float:
        return float(params["a"] + params["seed"])

    hl.optimize(objective, study=study, space={"a": [1, 10]}, sampler="grid", repeats=3)
    assert len(study.trials()) == 6
    summary = study.config_summary()
    assert summary[["params.a", "mean", "std", "min", "max", "count"]].values.tolist() == [
        [1, 2.0, 1.0, 1.0, 3.0, 3],
        [10, 11.0, 1.0, 10.0, 12.0, 3],
    ]
    # Running the search again finds every repetition done.
    hl.optimize(objective, study=study, space={"a": [1, 10]}, sampler="grid", repeats=3)
    assert len(study.trials()) == 6


def test_cli_defaults_sets_lists_and_needs_force(store: hl.Store) -> None:
    study = hl.study("cli-defaults", store=store)
    study.record_run(params={"lr": 0.1})
    runner = CliRunner()
    base = ["--store", store.url, "defaults", "cli-defaults"]
    result = runner.invoke(cli, [*base, "dropout=0.0", "act=relu"])
    assert result.exit_code == 0, result.output
    assert "1 run(s)" in result.output
    listed = runner.invoke(cli, [*base, "--format", "json"])
    assert listed.exit_code == 0, listed.output
    assert [(d["name"], d["value"]) for d in json.loads(listed.stdout)] == [
        ("dropout", 0.0),
        ("act", "relu"),
    ]
    refused = runner.invoke(cli, [*base, "dropout=0.5"])
    assert refused.exit_code == 1
    assert "--force" in refused.output
    forced = runner.invoke(cli, [*base, "dropout=0.5", "--force"])
    assert forced.exit_code == 0, forced.output
    assert hl.study("cli-defaults", store=store).defaults == {"dropout": 0.5, "act": "relu"}
