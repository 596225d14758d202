"""Defaults and identity: effective params, conditional defaults, configuration hashes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

import hyperlab as hl
from hyperlab.errors import SpaceError
from hyperlab.space.defaults import (
    Default,
    apply_defaults,
    config_hash,
    count_changed,
    effective_params,
    find_same,
    is_change,
    parse_defaults,
    replace_default,
    same_config,
)


def lr_below(condition: str, params: Mapping[str, Any]) -> bool:
    """A stand-in for the query layer's evaluator, for the one condition these tests use."""
    assert condition == "lr < 0.001"
    return bool(params["lr"] < 0.001)


def test_run_params_win_over_defaults_and_nested_params_are_flattened() -> None:
    defaults = {"dropout": 0.0, "optim": {"name": "adam", "lr": 0.1}}
    effective = apply_defaults({"optim": {"lr": 0.01}, "layers": 2}, defaults)
    assert effective.params == {
        "optim.lr": 0.01,
        "layers": 2,
        "dropout": 0.0,
        "optim.name": "adam",
    }
    assert effective.defaulted == {"dropout", "optim.name"}


def test_later_defaults_win_and_conditional_defaults_apply_when_they_hold() -> None:
    defaults = [
        Default("epochs", 10),
        Default("epochs", 20),
        Default("epochs", 100, when="lr < 0.001"),
    ]
    assert effective_params({"lr": 0.01}, defaults, lr_below)["epochs"] == 20
    assert effective_params({"lr": 0.0001}, defaults, lr_below)["epochs"] == 100
    assert effective_params({"lr": 0.0001, "epochs": 5}, defaults, lr_below)["epochs"] == 5


def test_conditions_see_defaulted_params() -> None:
    defaults = [Default("lr", 0.0001), Default("epochs", 100, when="lr < 0.001")]
    assert effective_params({}, defaults, lr_below) == {"lr": 0.0001, "epochs": 100}


def test_a_conditional_default_needs_an_evaluator() -> None:
    with pytest.raises(SpaceError, match="has a condition; pass matches="):
        effective_params({"lr": 0.1}, [Default("epochs", 100, when="lr < 0.001")])
    # ... but not when the run sets the param itself
    assert effective_params({"epochs": 3}, [Default("epochs", 100, when="x")]) == {"epochs": 3}


def test_defaults_round_trip_through_the_store_form() -> None:
    stored = [
        {"name": "dropout", "value": 0.0, "when": None},
        {"name": "e", "value": 1, "when": "a"},
    ]
    parsed = parse_defaults(stored)
    assert [d.to_dict() for d in parsed] == stored
    assert Default("x", 1, when="  ").when is None
    with pytest.raises(SpaceError, match="non-empty param name"):
        Default("", 1)
    with pytest.raises(SpaceError, match="needs 'name' and 'value'"):
        Default.from_dict({"name": "x"})


def test_a_new_param_at_its_default_value_is_the_same_configuration_as_old_runs() -> None:
    old_run = {"lr": 0.1}
    new_run = {"lr": 0.1, "dropout": 0.0}
    defaults = {"dropout": 0.0}
    assert config_hash(old_run, defaults) == config_hash(new_run, defaults)
    assert config_hash(old_run, defaults) == hl.params_hash(new_run)
    assert config_hash({"lr": 0.1, "dropout": 0.5}, defaults) != config_hash(old_run, defaults)
    runs = [{"lr": 0.1}, {"lr": 0.1 + 1e-15, "dropout": 0.0}, {"lr": 0.2}]
    assert find_same(new_run, runs, defaults) == [0, 1]


def test_same_config_tolerates_float_noise_but_not_type_changes() -> None:
    assert same_config({"lr": 0.1 + 0.2}, {"lr": 0.3})
    assert same_config({"a": {"b": [1.0, 2]}}, {"a.b": [1, 2.0]})
    assert not same_config({"flag": True}, {"flag": 1})
    assert not same_config({"lr": 0.3}, {"lr": 0.3, "extra": 1})
    assert not same_config({"name": "a"}, {"name": "b"})


def test_replacing_a_default_reports_the_previous_one_and_how_many_runs_change() -> None:
    defaults = [Default("dropout", 0.0), Default("epochs", 100, when="lr < 0.001")]
    new, previous = replace_default(defaults, "dropout", 0.1)
    assert previous == Default("dropout", 0.0)
    assert is_change(previous, 0.1)
    assert new[0] == Default("dropout", 0.1)
    assert len(new) == 2
    runs = [{"lr": 0.1}, {"lr": 0.1, "dropout": 0.3}, {"lr": 0.0001}]
    assert count_changed(runs, defaults, new, lr_below) == 2
    added, none = replace_default(defaults, "epochs", 10, when="lr >= 0.001")
    assert none is None
    assert added[-1] == Default("epochs", 10, "lr >= 0.001")
    assert not is_change(None, 1)
    assert not is_change(Default("x", 1), 1.0)
