"""``hyperlab ls / show / export / tag / rm`` as users type them."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

import hyperlab as hl
from hyperlab.store import Store

Invoke = Callable[..., Result]


def test_ls_sorts_by_the_main_metric_and_shows_varying_params(invoke: Invoke) -> None:
    result = invoke("ls", "--study", "mnist", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["run"] for r in rows][:4] == ["mnist/2", "mnist/3", "mnist/4", "mnist/1"]
    assert rows[0]["metrics.val_acc"] == pytest.approx(0.95)
    assert "params.lr" in rows[0]
    assert "params.epochs" not in rows[0] or len({r["params.epochs"] for r in rows}) > 1


def test_ls_filters_with_the_query_language(invoke: Invoke) -> None:
    result = invoke("ls", 'lr < 0.05 and optim.name in ["adam"]', "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["run"] for r in rows] == ["mnist/2", "mnist/3"]


def test_ls_table_is_readable(invoke: Invoke) -> None:
    result = invoke("ls", "--study", "mnist", "--sort", "lr", "--limit", "2")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "run" in lines[1] and "val_acc" in lines[1] and "lr" in lines[1]
    assert "mnist/3" in result.output and "mnist/1" not in result.output
    assert result.output.index("0.001") < result.output.index("0.01")


def test_ls_tags_and_failed_state(invoke: Invoke) -> None:
    result = invoke("ls", 'tags contains "baseline"', "--format", "json")
    assert sorted(r["run"] for r in json.loads(result.output)) == ["mnist/1", "mnist/4"]
    result = invoke("ls", 'state == "failed"', "--format", "json")
    assert [r["run"] for r in json.loads(result.output)] == ["mnist/5"]


def test_ls_bad_query_shows_a_caret_and_exits_1(invoke: Invoke) -> None:
    result = invoke("ls", "lr < ")
    assert result.exit_code == 1
    assert result.output.startswith("Error: ")
    assert "^" in result.output


def test_ls_unknown_study_lists_the_known_ones(invoke: Invoke) -> None:
    result = invoke("ls", "--study", "nope")
    assert result.exit_code == 1
    assert "no study 'nope'" in result.output and "mnist" in result.output


def test_show_prints_params_defaults_metrics_and_error(invoke: Invoke) -> None:
    result = invoke("show", "mnist/2")
    assert result.exit_code == 0, result.output
    assert "mnist/2" in result.output and "completed" in result.output
    assert "dropout" in result.output and "(default)" in result.output
    assert "val_acc" in result.output
    failed = invoke("show", "mnist/5")
    assert "RuntimeError: exploded" in failed.output
    as_json = json.loads(invoke("show", "best", "--study", "mnist", "--format", "json").output)
    assert as_json["run"] == "mnist/2"
    assert as_json["params"]["dropout"] == 0.0
    assert as_json["defaulted"] == ["dropout"]


def test_show_unknown_run_is_a_clear_error(invoke: Invoke) -> None:
    result = invoke("show", "mnist/99")
    assert result.exit_code == 1
    assert "study 'mnist' has no run number 99" in result.output


@pytest.mark.parametrize("suffix", [".csv", ".json", ".parquet"])
def test_export_writes_every_matching_run(invoke: Invoke, tmp_path: Path, suffix: str) -> None:
    import pandas as pd

    out = tmp_path / f"runs{suffix}"
    result = invoke("export", 'optim.name == "adam"', "-o", str(out))
    assert result.exit_code == 0, result.output
    if suffix == ".csv":
        frame = pd.read_csv(out)
    elif suffix == ".json":
        frame = pd.read_json(out)
    else:
        frame = pd.read_parquet(out)
    assert len(frame) == 2
    assert set(frame["params.optim.name"]) == {"adam"}


def test_export_refuses_unknown_formats(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("export", "-o", str(tmp_path / "runs.xlsx"))
    assert result.exit_code == 1
    assert "use a .csv, .json or .parquet" in result.output


def test_tag_adds_and_removes(invoke: Invoke, seeded: Store) -> None:
    result = invoke("tag", "mnist/1", "+best", "-baseline", "keep")
    assert result.exit_code == 0, result.output
    assert seeded.get_run(seeded.resolve_run("mnist/1")).tags == ["best", "keep"]


def test_rm_asks_then_deletes(invoke: Invoke, seeded: Store) -> None:
    result = invoke("rm", "mnist/1", input="n\n")
    assert result.exit_code == 1
    assert seeded.resolve_run("mnist/1")
    result = invoke("rm", "mnist/1", "mnist/2", "--yes")
    assert result.exit_code == 0, result.output
    assert "deleted 2 run(s)" in result.output
    listing = json.loads(invoke("ls", "--study", "mnist", "--format", "json").output)
    assert {r["run"] for r in listing} == {"mnist/3", "mnist/4", "mnist/5"}


def test_studies_lists_counts_and_best(invoke: Invoke) -> None:
    rows = json.loads(invoke("studies", "--format", "json").output)
    mnist = next(r for r in rows if r["study"] == "mnist")
    assert mnist["runs"] == 5
    assert mnist["completed"] == 4
    assert mnist["failed"] == 1
    assert mnist["best"] == pytest.approx(0.95)


def test_db_info_and_check(invoke: Invoke) -> None:
    info = invoke("db", "info")
    from hyperlab.store.schema import SCHEMA_REVISION

    assert f"schema:    {SCHEMA_REVISION}" in info.output and "up to date" in info.output
    assert invoke("db", "check").output.strip() == "ok"


def test_ls_group_by_config_summarises_repetitions(seeded: Store, invoke: Invoke) -> None:
    study = hl.study("reps", directions={"acc": "max"}, store=seeded)
    for lr in (0.1, 0.01):
        for seed in range(3):
            study.record_run({"lr": lr, "seed": seed}, final={"acc": lr * 10 + seed / 100})
    rows = json.loads(
        invoke("ls", "--study", "reps", "--group-by", "config", "--format", "json").output
    )
    assert [(r["lr"], r["runs"]) for r in rows] == [(0.1, 3), (0.01, 3)]  # best config first
    assert rows[0]["acc.mean"] == pytest.approx(1.01)
    assert rows[0]["acc.count"] == 3
    assert "seed" not in rows[0]
    table = invoke("ls", "--study", "reps", "--group-by", "config").output
    assert "acc.mean" in table and "acc.std" in table


def test_show_applies_conditional_defaults_like_queries(seeded: Store, invoke: Invoke) -> None:
    study = hl.study("cond", store=seeded)
    slow = study.record_run({"lr": 0.0001})
    fast = study.record_run({"lr": 0.1})
    study.set_default("epochs", 100, when="lr < 0.001")
    shown = json.loads(invoke("show", str(slow), "--format", "json").output)
    assert shown["params"]["epochs"] == 100
    assert shown["defaulted"] == ["epochs"]
    other = json.loads(invoke("show", str(fast), "--format", "json").output)
    assert "epochs" not in other["params"]
    assert hl.query(study="cond", store=seeded).loc[slow, "params.epochs"] == 100
