"""``hyperlab defaults STUDY [name=value ...] [--when EXPR] [--force]``."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from hyperlab.cli.main import cli
from hyperlab.store import Store

from .conftest import Invoke


def listed(invoke: Invoke) -> list[dict[str, object]]:
    result = invoke("defaults", "mnist", "--format", "json")
    assert result.exit_code == 0, result.output
    return list(json.loads(result.output))


def test_lists_the_declared_defaults(invoke: Invoke) -> None:
    assert listed(invoke) == [{"name": "dropout", "value": 0.0, "when": ""}]
    csv = invoke("defaults", "mnist", "--format", "csv")
    assert csv.output.splitlines() == ["name,value,when", "dropout,0.0,"]


def test_declares_defaults_that_old_runs_then_have(invoke: Invoke) -> None:
    result = invoke("defaults", "mnist", "wd=0.01", "optim.betas=[0.9, 0.99]")
    assert result.exit_code == 0, result.output
    assert "wd = 0.01" in result.output
    assert "5 run(s)" in result.output
    names = {d["name"]: d["value"] for d in listed(invoke)}
    assert names == {"dropout": 0.0, "wd": 0.01, "optim.betas": [0.9, 0.99]}
    ls = invoke("ls", "wd == 0.01", "--study", "mnist", "--format", "json")
    assert ls.exit_code == 0, ls.output
    assert len(json.loads(ls.output)) == 5


def test_conditional_default(invoke: Invoke) -> None:
    result = invoke("defaults", "mnist", "epochs_warmup=10", "--when", "lr < 0.005")
    assert result.exit_code == 0, result.output
    assert {"name": "epochs_warmup", "value": 10, "when": "lr < 0.005"} in listed(invoke)
    ls = invoke("ls", "epochs_warmup == 10", "--study", "mnist", "--format", "json")
    assert [row["params.lr"] for row in json.loads(ls.output)] == [0.001]


def test_changing_a_default_needs_force_and_reports_the_count(invoke: Invoke) -> None:
    result = invoke("defaults", "mnist", "dropout=0.2")
    assert result.exit_code == 1
    assert "5 run(s)" in result.output
    assert "--force" in result.output
    assert listed(invoke)[0]["value"] == 0.0
    forced = invoke("defaults", "mnist", "dropout=0.2", "--force")
    assert forced.exit_code == 0, forced.output
    assert listed(invoke)[0]["value"] == 0.2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["mnist", "oops"], "expected name=value"),
        (["mnist", "x=1", "--when", "lr <"], "expected a value"),
        (["mnist", "x=1", "--when", "max(val_acc) > 1"], "only name params"),
        (["nope"], "nope"),
        (["mnist", "--force"], "need NAME=VALUE"),
    ],
)
def test_errors_say_what_is_wrong(invoke: Invoke, args: list[str], message: str) -> None:
    result = invoke("defaults", *args)
    assert result.exit_code == 1
    assert message in result.output


def test_help(seeded: Store) -> None:
    result = CliRunner().invoke(cli, ["defaults", "--help"])
    assert result.exit_code == 0
    assert "--when" in result.output
    assert "--force" in result.output
