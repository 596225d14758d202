"""Metric files a run leaves behind: JSON dicts, JSON lines, tables, numpy arrays."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hyperlab.errors import ImportError_
from hyperlab.importers.hydra_metrics import read_metrics, read_run_metrics


def test_json_dict_gives_final_values(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"loss": 0.25, "test": {"acc": 0.9}, "note": "ok", "ok": True}))
    result = read_metrics(str(path))
    assert result.final == {"loss": 0.25, "test.acc": 0.9, "ok": 1.0}
    assert result.curves == {}


def test_json_lines_give_curves_with_steps(tmp_path: Path) -> None:
    path = tmp_path / "metrics.jsonl"
    path.write_text(
        "\n".join(json.dumps({"epoch": e, "loss": 1.0 / (e + 1), "lr": 0.1}) for e in (0, 2, 4))
    )
    result = read_metrics(str(path))
    assert result.curves["loss"] == [(0, 1.0), (2, 1 / 3), (4, 0.2)]
    assert result.curves["lr"] == [(0, 0.1), (2, 0.1), (4, 0.1)]
    assert "epoch" not in result.curves


def test_json_file_with_one_object_per_line(tmp_path: Path) -> None:
    path = tmp_path / "log.json"
    path.write_text('{"loss": 3}\n{"loss": 2}\n')
    assert read_metrics(str(path)).curves == {"loss": [(0, 3.0), (1, 2.0)]}


def test_json_list_of_records(tmp_path: Path) -> None:
    path = tmp_path / "history.json"
    path.write_text(json.dumps([{"step": 10, "acc": 0.5}, {"step": 20, "acc": 0.7}]))
    assert read_metrics(str(path)).curves == {"acc": [(10, 0.5), (20, 0.7)]}


def test_csv_with_step_column(tmp_path: Path) -> None:
    path = tmp_path / "curve.csv"
    path.write_text("step,train_loss,phase\n0,1.5,train\n1,1.0,train\n2,nan,train\n")
    curves = read_metrics(str(path)).curves
    assert list(curves) == ["train_loss"]
    assert curves["train_loss"][:2] == [(0, 1.5), (1, 1.0)]
    assert np.isnan(curves["train_loss"][2][1])


def test_whitespace_table_without_step_column(tmp_path: Path) -> None:
    path = tmp_path / "progress.txt"
    path.write_text("# comment\nloss   acc\n0.9    0.1\n0.5    0.6\n")
    assert read_metrics(str(path)).curves == {
        "loss": [(0, 0.9), (1, 0.5)],
        "acc": [(0, 0.1), (1, 0.6)],
    }


def test_tsv_table(tmp_path: Path) -> None:
    path = tmp_path / "m.tsv"
    path.write_text("Epoch\tval acc\n1\t0.5\n2\t0.75\n")
    assert read_metrics(str(path)).curves == {"val acc": [(1, 0.5), (2, 0.75)]}


def test_npy_arrays(tmp_path: Path) -> None:
    np.save(tmp_path / "val_loss.npy", np.array([3.0, 2.0, 1.0]))
    np.save(tmp_path / "best.npy", np.array(0.5))
    np.save(tmp_path / "pairs.npy", np.array([[10, 1.0], [20, 0.5]]))
    merged = read_run_metrics(
        [str(tmp_path / n) for n in ("val_loss.npy", "best.npy", "pairs.npy")]
    )
    assert merged.curves["val_loss"] == [(0, 3.0), (1, 2.0), (2, 1.0)]
    assert merged.curves["pairs"] == [(10, 1.0), (20, 0.5)]
    assert merged.final == {"best": 0.5}


def test_npz_archive(tmp_path: Path) -> None:
    np.savez(tmp_path / "curves.npz", loss=np.array([2.0, 1.0]), acc=np.array([0.1, 0.2]))
    result = read_metrics(str(tmp_path / "curves.npz"))
    assert result.curves == {"loss": [(0, 2.0), (1, 1.0)], "acc": [(0, 0.1), (1, 0.2)]}


def test_bad_files_are_clear_errors(tmp_path: Path) -> None:
    lines = tmp_path / "bad.jsonl"
    lines.write_text('{"loss": 1}\nnot json\n')
    with pytest.raises(ImportError_, match="line 2 is not JSON"):
        read_metrics(str(lines))
    scalar = tmp_path / "scalar.json"
    scalar.write_text("3")
    with pytest.raises(ImportError_, match="holds JSON int"):
        read_metrics(str(scalar))
    cube = tmp_path / "cube.npy"
    np.save(cube, np.zeros((2, 2, 2)))
    with pytest.raises(ImportError_, match=r"shape \(2, 2, 2\)"):
        read_metrics(str(cube))
    header_only = tmp_path / "empty.csv"
    header_only.write_text("step,loss\n")
    with pytest.raises(ImportError_, match="no rows"):
        read_metrics(str(header_only))
