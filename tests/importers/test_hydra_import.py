"""hl.import_hydra / watch_hydra / ``hyperlab import hydra`` into real stores."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import hyperlab as hl
from hyperlab.cli.main import cli
from hyperlab.errors import HyperlabError, ImportError_
from hyperlab.importers import HydraLoadWarning, watch_hydra
from hyperlab.store import forget_open_stores, open_store

DEADLINE_S = 60.0


def _runs_by_name(study: hl.Study) -> dict[str, object]:
    ids = [run_id for run_id, _, _ in study.store.run_dirs(study.id)]
    return {r.name: r for r in study.store.get_runs(ids)}


def test_import_makes_one_run_per_hydra_run(trees: Path, sweep_dir: Path, store_url: str) -> None:
    report = hl.import_hydra(
        trees / "multirun", "sweep", metrics=["results.json", "curve.csv"], store=store_url
    )
    assert (report.imported, report.existing, report.pending, report.skipped) == (12, 0, 0, 0)
    study = hl.study("sweep", store=store_url)
    runs = _runs_by_name(study)
    assert len(runs) == 12
    run = runs["2024-01-02/10-00-00/4"]
    assert run.state == "completed"  # type: ignore[attr-defined]
    assert run.params["optim.lr"] == 0.01  # type: ignore[attr-defined]
    assert run.params["epochs"] == 1  # type: ignore[attr-defined]
    assert run.params["layers"] == [4, 8]  # type: ignore[attr-defined]
    assert sorted(run.tags) == ["epochs=1", "optim.lr=0.01"]  # type: ignore[attr-defined]
    assert run.run_dir == str((sweep_dir / "4").resolve())  # type: ignore[attr-defined]
    config_mtime = (sweep_dir / "4" / ".hydra" / "config.yaml").stat().st_mtime
    assert run.started_at == pytest.approx(config_mtime)  # type: ignore[attr-defined]
    summaries = study.store.metric_summaries(run.id)  # type: ignore[attr-defined]
    assert summaries["loss"]["value"] == pytest.approx(1 / 1.01)
    assert summaries["nested.acc"]["value"] == pytest.approx(1 - 1 / 1.01)
    points = study.store.read_points([run.id], ["train_loss"])  # type: ignore[attr-defined]
    assert len(points) == 1
    # Imported runs take part in queries like any other run.
    frame = hl.query("optim.lr == 0.01 and loss < 0.99", study="sweep", store=store_url)
    assert sorted(frame["params.epochs"]) == [2, 3, 4]


def test_reimport_is_idempotent_and_new_config_is_new_run(
    trees: Path, sweep_dir: Path, store_url: str
) -> None:
    hl.import_hydra(trees / "multirun", "sweep", metrics="results.json", store=store_url)
    again = hl.import_hydra(trees / "multirun", "sweep", metrics="results.json", store=store_url)
    assert (again.imported, again.existing) == (0, 12)
    config = sweep_dir / "0" / ".hydra" / "config.yaml"
    config.write_text(config.read_text().replace("seed: 1", "seed: 2"))
    changed = hl.import_hydra(trees / "multirun", "sweep", metrics="results.json", store=store_url)
    assert (changed.imported, changed.existing) == (1, 11)
    study = hl.study("sweep", store=store_url)
    assert len(study.store.run_dirs(study.id)) == 13


def test_runs_without_metric_files_wait(trees: Path, sweep_dir: Path, store_url: str) -> None:
    (sweep_dir / "6" / "results.json").unlink()
    first = hl.import_hydra(trees / "multirun", "s", metrics="results.json", store=store_url)
    assert (first.imported, first.pending) == (11, 1)
    (sweep_dir / "6" / "results.json").write_text(json.dumps({"loss": 0.5}))
    second = hl.import_hydra(trees / "multirun", "s", metrics="results.json", store=store_url)
    assert (second.imported, second.existing, second.pending) == (1, 11, 0)
    (sweep_dir / "7" / "results.json").unlink()
    hl.import_hydra(trees / "custom", "t", metrics="nothing.json", store=store_url)
    forced = hl.import_hydra(
        trees / "custom", "t", metrics="nothing.json", store=store_url, include_incomplete=True
    )
    assert forced.imported == 2


def test_broken_runs_are_skipped_or_raise_when_strict(
    trees: Path, sweep_dir: Path, store_url: str
) -> None:
    (sweep_dir / "3" / ".hydra" / "config.yaml").write_text("a: [")
    (sweep_dir / "5" / "results.json").write_text("{not json")
    with pytest.warns(HydraLoadWarning) as caught:
        report = hl.import_hydra(trees / "multirun", "s", metrics="results.json", store=store_url)
    assert report.skipped == 2
    assert report.imported == 10
    assert len(caught) == 2
    with pytest.raises(ImportError_, match="strict=True"):
        hl.import_hydra(
            trees / "multirun", "s", metrics="results.json", store=store_url, strict=True
        )


def test_watch_picks_up_a_new_run(trees: Path, sweep_dir: Path, store_url: str) -> None:
    passes: list[int] = []
    late = sweep_dir / "12"

    def after_pass(report: hl.importers.ImportReport) -> None:
        passes.append(report.imported)
        if len(passes) == 1:
            shutil.copytree(sweep_dir / "0", late)
            config = late / ".hydra" / "config.yaml"
            config.write_text(config.read_text().replace("seed: 1", "seed: 12"))

    total = watch_hydra(
        trees / "multirun",
        "w",
        store=store_url,
        metrics="results.json",
        interval_s=0,
        iterations=3,
        on_pass=after_pass,
    )
    assert passes == [12, 1, 0]
    assert total.imported == 13


def test_cli_import_and_reimport(trees: Path, tmp_path: Path) -> None:
    store = str(tmp_path / "cli.db")
    runner = CliRunner()
    args = ["--store", store, "import", "hydra", str(trees / "multirun"), "--study", "cli"]
    first = runner.invoke(cli, [*args, "--metrics", "results.json"])
    assert first.exit_code == 0, first.output
    assert "cli: imported 12 run(s), 0 already there" in first.output
    second = runner.invoke(cli, [*args, "-m", "results.json", "--format", "json"])
    assert second.exit_code == 0, second.output
    data = json.loads(second.output)
    assert (data["imported"], data["existing"]) == (0, 12)
    watched = runner.invoke(
        cli, [*args, "-m", "results.json", "--watch", "--interval", "0", "--watch-iterations", "2"]
    )
    assert watched.exit_code == 0, watched.output
    assert "imported 0 run(s), 12 already there" in watched.output
    missing = runner.invoke(cli, [*args[:4], str(tmp_path / "nope"), "--study", "cli"])
    assert missing.exit_code == 1
    assert "does not exist" in missing.output


def _imported(store_path: Path, study: str) -> int:
    """Runs the watching process has imported so far (0 before it made the store)."""
    if not store_path.exists():
        return 0
    try:
        # create=False: never race the other process to create the schema.
        store = open_store(str(store_path), create=False)
        names = {s.name for s in store.list_studies()}
        if study not in names:
            return 0
        return len(store.run_dirs(store.get_study(study).id))
    except HyperlabError:
        forget_open_stores()
        return 0


def _wait_for(store_path: Path, count: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while _imported(store_path, "live") < count:
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            out, err = proc.communicate()
            pytest.fail(f"watch did not import {count} runs:\n{out}\n{err}")
        time.sleep(0.1)


def test_cli_watch_imports_runs_of_a_sweep_in_progress(
    trees: Path, sweep_dir: Path, tmp_path: Path
) -> None:
    store_path = tmp_path / "watch.db"
    env = {**os.environ, "HYPERLAB_DEBUG": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hyperlab",
            "--store",
            str(store_path),
            "import",
            "hydra",
            str(trees / "multirun"),
            "--study",
            "live",
            "-m",
            "results.json",
            "--watch",
            "--interval",
            "0.2",
            "--timeout",
            "240",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        _wait_for(store_path, 12, proc)
        late = sweep_dir / "12"
        shutil.copytree(sweep_dir / "0", late)
        config = late / ".hydra" / "config.yaml"
        config.write_text(config.read_text().replace("seed: 1", "seed: 12"))
        _wait_for(store_path, 13, proc)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=DEADLINE_S)
    assert proc.returncode == 0, err
    assert "imported 12 run(s)" in out
    assert "imported 1 run(s)" in out
    # The last line totals every pass (a last pass may have run before Ctrl-C arrived).
    assert re.fullmatch(
        r"live: imported 13 run\(s\), 1[23] already there", out.strip().splitlines()[-1]
    )
