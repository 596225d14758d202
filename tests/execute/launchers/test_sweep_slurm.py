"""``hyperlab sweep --launcher slurm``: a TPE search drained by an array of workers on Slurm."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import hyperlab as hl
from hyperlab.cli.main import cli
from hyperlab.testing.slurm import SlurmCluster

TRAIN = """
import json, sys
x = float(sys.argv[sys.argv.index("--x") + 1])
print(json.dumps({"step": 0, "loss": (x - 0.5) ** 2}))
"""


@pytest.mark.slurm
def test_sweep_with_slurm_workers(
    slurm: SlurmCluster, tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "train.py").write_text(TRAIN)
    (tmp_path / "job.sh").write_text("export SWEPT_BY=slurm\n{command}\n")
    result = CliRunner().invoke(
        cli,
        [
            "--store", sqlite_url, "sweep", "slurm-sweep",
            "--space", "x=uniform(0,1)", "--sampler", "tpe", "--n", "4", "--seed", "1",
            "--metric", "loss", "--direction", "min",
            "--launcher", "slurm", "--workers", "2", "--template", "job.sh",
            "--idle-exit-s", "3",
            "--", sys.executable, "train.py", "--x", "{x}",
        ],
        catch_exceptions=False,
        env={"COLUMNS": "200"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "done 4" in result.output and "failed 0" in result.output
    frame = hl.query(None, study="slurm-sweep", store=sqlite_url)
    assert sorted(frame["state"]) == ["completed"] * 4
    assert frame["params.x"].nunique() == 4
    scripts = list(tmp_path.rglob("workers-*/job.sh"))
    assert scripts and all("export SWEPT_BY=slurm" in p.read_text() for p in scripts)
