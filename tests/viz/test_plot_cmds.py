"""``hyperlab plot ...`` writes image files; ``hyperlab show`` draws a sparkline per metric."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from hyperlab.cli.main import cli
from hyperlab.store import Store
from hyperlab.viz.series import BLOCKS


def invoke(store: Store, *args: str) -> Result:
    return CliRunner().invoke(
        cli, ["--store", store.url, *args], catch_exceptions=False, terminal_width=200
    )


@pytest.mark.parametrize(
    "args",
    [
        ["curves", "lr < 0.05", "-m", "val_acc", "-s", "mnist"],
        ["curves", "mnist/1", "mnist/2", "-m", "loss", "--smooth", "0.5"],
        ["params", "-s", "mnist", "-x", "lr,optim.name", "-y", "val_acc", "-y", "loss"],
        ["scatter", "-s", "mnist", "-x", "loss", "-y", "val_acc", "--hue", "optim.name"],
        ["parallel", 'state == "completed"', "-s", "mnist"],
        ["history", "mnist"],
        ["importance", "mnist", "-m", "val_acc"],
        ["pareto", "mnist"],
    ],
    ids=lambda a: a[0],
)
@pytest.mark.parametrize("suffix", [".png", ".html"])
@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)  # rendering: one backend
def test_plot_commands_write_files(
    seeded: Store, tmp_path: Path, args: list[str], suffix: str
) -> None:
    out = tmp_path / f"out{suffix}"
    result = invoke(seeded, "plot", *args, "-o", str(out))
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.output
    assert out.stat().st_size > 1000


def test_plot_errors_are_clean(seeded: Store, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "--store",
            seeded.url,
            "plot",
            "history",
            "mnist",
            "-m",
            "nope",
            "-o",
            str(tmp_path / "x.png"),
        ],
    )
    assert result.exit_code == 1
    assert "no metric 'nope'" in result.output
    assert not (tmp_path / "x.png").exists()


def test_show_draws_a_sparkline_per_metric(seeded: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    result = invoke(seeded, "show", "mnist/1")
    assert result.exit_code == 0, result.output
    cells = {
        line.split()[1]: line.split("│")[-2].strip()
        for line in result.output.splitlines()
        if line.count("│") > 3
    }
    assert set(cells["val_acc"]) <= set(BLOCKS)
    assert len(cells["val_acc"]) == 16
    assert cells["loss"][0] == BLOCKS[-1]
    assert cells["loss"][-1] == BLOCKS[0]
