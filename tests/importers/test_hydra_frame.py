"""hl.load_hydra / hl.load_hydra_run on real Hydra output trees (and broken copies of them)."""

from __future__ import annotations

import shutil
from datetime import date, datetime, time
from pathlib import Path

import pandas as pd
import pytest

import hyperlab as hl
from hyperlab.errors import ImportError_, InvalidValueError, NotFoundError
from hyperlab.importers import HydraLoadWarning


def test_multirun_rows_index_and_numeric_order(trees: Path) -> None:
    df = hl.load_hydra(trees / "multirun")
    assert len(df) == 12
    assert df.index.names == ["experiment", "run"]
    assert set(df.index.get_level_values("experiment")) == {pd.Timestamp("2024-01-02 10:00:00")}
    # 0..11 numerically (a string sort would put 10 and 11 after 1).
    assert list(df.index.get_level_values("run")) == list(range(12))
    assert df.index.get_level_values("run").dtype == "int64"


def test_columns_are_flattened_and_typed(trees: Path) -> None:
    df = hl.load_hydra(trees / "multirun")
    assert df["seed"].dtype == "int64"
    assert df["epochs"].dtype == "int64"
    assert df["optim/lr"].dtype == "float64"
    assert df["dropout"].dtype == "float64"
    assert df["use_bn"].dtype == bool
    assert df["name"].tolist() == ["demo"] * 12
    assert df["layers"].iloc[0] == [4, 8]  # lists are kept whole
    first = df.loc[(pd.Timestamp("2024-01-02 10:00:00"), 0)]
    assert first["optim/lr"] == 0.1
    assert first["epochs"] == 1
    assert first["overrides"] == ["optim.lr=0.1", "epochs=1"]
    assert first["out"] == "${name}_${seed}"  # unresolved by default


def test_sep_joins_nested_keys(trees: Path) -> None:
    df = hl.load_hydra(trees / "multirun", sep=".")
    assert "optim.lr" in df.columns


def test_collected_paths_sorted_and_deduplicated(sweep_dir: Path, trees: Path) -> None:
    df = hl.load_hydra(trees / "multirun", query_string=["*.json", "*.csv", "results.*"])
    run = sweep_dir / "3"
    row = df.xs(3, level="run").iloc[0]
    assert row["collected_path_0"] == str(run / "curve.csv")
    assert row["collected_path_1"] == str(run / "results.json")
    assert "collected_path_2" not in df.columns


def test_recursive_pattern(sweep_dir: Path, trees: Path) -> None:
    nested = sweep_dir / "5" / "ckpt" / "epoch1"
    nested.mkdir(parents=True)
    (nested / "model.pt").write_text("x")
    df = hl.load_hydra(trees / "multirun", query_string="**/*.pt", min_required_files=0)
    row = df.xs(5, level="run").iloc[0]
    assert row["collected_path_0"] == str(nested / "model.pt")
    assert df["collected_path_0"].notna().sum() == 1


def test_min_required_files_drops_with_one_warning(sweep_dir: Path, trees: Path) -> None:
    for job in (2, 7, 9):
        (sweep_dir / str(job) / "results.json").unlink()
    with pytest.warns(HydraLoadWarning, match=r"dropped 3 run\(s\)") as caught:
        df = hl.load_hydra(trees / "multirun", query_string="results.json")
    assert len(caught) == 1
    assert len(df) == 9
    assert {2, 7, 9}.isdisjoint(df.index.get_level_values("run"))
    kept = hl.load_hydra(trees / "multirun", query_string="results.json", min_required_files=0)
    assert len(kept) == 12


def test_single_run_layout(trees: Path) -> None:
    df = hl.load_hydra(trees / "outputs")
    assert len(df) == 1
    assert df.index[0] == (pd.Timestamp("2024-01-03 09:30:00"), 0)
    assert df["epochs"].iloc[0] == 3
    assert df["overrides"].iloc[0] == ["epochs=3"]


def test_logic_auto_mixes_layouts_and_explicit_logic_selects(trees: Path) -> None:
    mixed = trees / "mixed"
    shutil.copytree(trees / "multirun", mixed)
    shutil.copytree(trees / "outputs", mixed, dirs_exist_ok=True)
    assert len(hl.load_hydra(mixed)) == 13
    assert len(hl.load_hydra(mixed, logic="multirun")) == 12
    single = hl.load_hydra(mixed, logic="singlerun")
    assert len(single) == 1
    assert single["epochs"].iloc[0] == 3
    with pytest.raises(InvalidValueError, match=r"logic='both'.*auto, multirun, singlerun"):
        hl.load_hydra(mixed, logic="both")


def test_custom_subdir_names_are_the_run_keys(trees: Path) -> None:
    df = hl.load_hydra(trees / "custom")
    assert list(df.index.get_level_values("run")) == ["job0_lr0.5", "job1_lr0.05"]
    assert df["optim/lr"].tolist() == [0.5, 0.05]


def test_base_may_be_an_experiment_or_a_date_folder(sweep_dir: Path) -> None:
    assert len(hl.load_hydra(sweep_dir)) == 12
    by_day = hl.load_hydra(sweep_dir.parent)
    assert len(by_day) == 12
    assert by_day.index[0][0] == pd.Timestamp("2024-01-02 10:00:00")


def _second_experiment(trees: Path) -> Path:
    later = trees / "multirun" / "2024-01-05" / "07-00-00"
    later.mkdir(parents=True)
    for job in (0, 1):
        shutil.copytree(
            trees / "multirun" / "2024-01-02" / "10-00-00" / str(job), later / str(job)
        )
    return later


@pytest.mark.parametrize(
    ("filter_date", "expected"),
    [
        ("2024-01-02", 12),
        (date(2024, 1, 5), 2),
        (datetime(2024, 1, 2, 23, 59), 12),
        ("last", 2),
    ],
)
def test_filter_date(trees: Path, filter_date: object, expected: int) -> None:
    _second_experiment(trees)
    df = hl.load_hydra(trees / "multirun", filter_date=filter_date)  # type: ignore[arg-type]
    assert len(df) == expected


@pytest.mark.parametrize(
    ("filter_hms", "expected"),
    [
        ("10-00-00", 12),
        (time(7, 0, 0), 2),
        (datetime(2024, 1, 2, 10, 0, 0), 12),
        ("last", 2),
        ("2024-01-05", 2),  # a date in filter_hms, as experiment_tracker accepted
    ],
)
def test_filter_hms(trees: Path, filter_hms: object, expected: int) -> None:
    _second_experiment(trees)
    df = hl.load_hydra(trees / "multirun", filter_hms=filter_hms)  # type: ignore[arg-type]
    assert len(df) == expected


def test_filter_last_within_a_date(trees: Path) -> None:
    _second_experiment(trees)
    df = hl.load_hydra(trees / "multirun", filter_date="2024-01-02", filter_hms="last")
    assert len(df) == 12


def test_filter_matching_nothing_names_filter_and_available_values(trees: Path) -> None:
    _second_experiment(trees)
    with pytest.raises(NotFoundError) as err:
        hl.load_hydra(trees / "multirun", filter_date="2023-12-31")
    message = str(err.value)
    assert "filter_date='2023-12-31' matches no experiment" in message
    assert "2024-01-02, 2024-01-05" in message
    with pytest.raises(NotFoundError) as err:
        hl.load_hydra(trees / "multirun", filter_hms="11-11-11")
    assert "filter_hms='11-11-11'" in str(err.value)
    assert "2024-01-02 10-00-00, 2024-01-05 07-00-00" in str(err.value)


def test_malformed_filters_are_clear_errors(trees: Path) -> None:
    with pytest.raises(InvalidValueError, match="filter_date='yesterday' is not a date"):
        hl.load_hydra(trees / "multirun", filter_date="yesterday")
    with pytest.raises(InvalidValueError, match="filter_hms must be"):
        hl.load_hydra(trees / "multirun", filter_hms=12)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda c: c.unlink(), "no .hydra/config.yaml"),
        (lambda c: c.write_text(""), "empty .hydra/config.yaml"),
        (lambda c: c.write_text("a: [1, 2\nb: {"), "corrupt .hydra/config.yaml"),
        (lambda c: c.write_text("- just\n- a list\n"), "not a mapping"),
    ],
)
def test_bad_config_skips_the_run_with_one_warning(
    sweep_dir: Path, trees: Path, damage: object, reason: str
) -> None:
    config = sweep_dir / "4" / ".hydra" / "config.yaml"
    damage(config)  # type: ignore[operator]
    with pytest.warns(HydraLoadWarning) as caught:
        df = hl.load_hydra(trees / "multirun")
    assert len(caught) == 1
    message = str(caught[0].message)
    assert str(sweep_dir / "4") in message
    assert reason in message
    assert len(df) == 11
    with pytest.raises(ImportError_, match="strict=True"):
        hl.load_hydra(trees / "multirun", strict=True)


def test_stray_files_and_foreign_folders_never_abort(sweep_dir: Path, trees: Path) -> None:
    base = trees / "multirun"
    (base / "notes.txt").write_text("stray file")
    (base / "2024-01-02" / "README").write_text("stray file")
    (sweep_dir / "stray.txt").write_text("stray file")
    (base / "plots").mkdir()
    (base / ".cache").mkdir()  # hidden folders are not reported
    with pytest.warns(HydraLoadWarning, match="plots.*not a DATE folder") as caught:
        df = hl.load_hydra(base)
    assert len(caught) == 1
    assert len(df) == 12
    with pytest.raises(ImportError_, match="not a DATE folder"):
        hl.load_hydra(base, strict=True)


def test_resolve_interpolations(trees: Path) -> None:
    df = hl.load_hydra(trees / "multirun", resolve=True)
    assert df["out"].tolist() == ["demo_1"] * 12


def test_unresolvable_interpolation_is_a_skipped_run(sweep_dir: Path, trees: Path) -> None:
    config = sweep_dir / "1" / ".hydra" / "config.yaml"
    config.write_text(config.read_text() + "broken: ${does_not_exist}\n")
    with pytest.warns(HydraLoadWarning, match="cannot resolve interpolations"):
        df = hl.load_hydra(trees / "multirun", resolve=True)
    assert len(df) == 11


def test_load_hydra_run(sweep_dir: Path) -> None:
    df = hl.load_hydra_run(sweep_dir / "10", query_string="*.json")
    assert len(df) == 1
    assert df.index[0] == (pd.Timestamp("2024-01-02 10:00:00"), 10)
    assert df["collected_path_0"].iloc[0] == str(sweep_dir / "10" / "results.json")
    with pytest.raises(ImportError_, match=r"no \.hydra/ folder"):
        hl.load_hydra_run(sweep_dir)
    (sweep_dir / "10" / ".hydra" / "config.yaml").write_text("x: [")
    with pytest.raises(ImportError_, match="corrupt"):
        hl.load_hydra_run(sweep_dir / "10")


def test_missing_base_and_empty_base(tmp_path: Path) -> None:
    with pytest.raises(ImportError_, match="does not exist"):
        hl.load_hydra(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.warns(HydraLoadWarning, match="no Hydra run folders"):
        df = hl.load_hydra(tmp_path / "empty")
    assert len(df) == 0
    assert df.index.names == ["experiment", "run"]
