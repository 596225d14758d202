"""Hydra apps logging to hyperlab directly: the callback and the ``track`` decorator."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import hyperlab as hl
from hyperlab.store import open_store

TASK = textwrap.dedent(
    """
    import hydra
    import hyperlab as hl
    from hydra.core.hydra_config import HydraConfig
    {extra_import}

    @hydra.main(version_base=None, config_path=".", config_name="config")
    {decorator}
    def main(cfg):
        run = hl.current_run()
        assert run is not None, "no current run inside the task"
        assert str(run.dir) == HydraConfig.get().runtime.output_dir
        for step in range(3):
            run.log(step=step, loss=cfg.lr * (3 - step))
        (run.dir / "marker.txt").write_text(str(run.id))
        if cfg.fail:
            raise RuntimeError("boom on purpose")

    if __name__ == "__main__":
        main()
    """
)


def _write_app(directory: Path, store: Path, *, callback: bool) -> Path:
    directory.mkdir(parents=True)
    if callback:
        code = TASK.format(extra_import="", decorator="")
        hydra_cfg = textwrap.dedent(
            f"""
            hydra:
              callbacks:
                hyperlab:
                  _target_: hyperlab.integrations.hydra.HyperlabCallback
                  study: tracked
                  store: {store}
                  tags: [from-hydra]
            """
        )
    else:
        code = TASK.format(
            extra_import="from hyperlab.integrations.hydra import track",
            decorator=f"@track('decorated', store={str(store)!r})",
        )
        hydra_cfg = ""
    (directory / "app.py").write_text(code)
    (directory / "config.yaml").write_text("lr: 0.1\nfail: false\n" + hydra_cfg)
    return directory


def _run(app: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "app.py", *args],
        cwd=app,
        capture_output=True,
        text=True,
        timeout=240,
    )


def _study_runs(store: Path, name: str) -> list[object]:
    opened = open_store(str(store))
    study = hl.study(name, store=opened)
    return opened.get_runs([run_id for run_id, _, _ in opened.run_dirs(study.id)])


def test_callback_records_each_multirun_job(tmp_path: Path) -> None:
    store = tmp_path / "hl.db"
    app = _write_app(tmp_path / "app", store, callback=True)
    sweep = tmp_path / "multirun"
    done = _run(app, "-m", "lr=0.1,0.2,0.3", f"hydra.sweep.dir={sweep}")
    assert done.returncode == 0, done.stderr
    runs = sorted(_study_runs(store, "tracked"), key=lambda r: r.params["lr"])  # type: ignore[attr-defined]
    assert [r.params for r in runs] == [  # type: ignore[attr-defined]
        {"lr": 0.1, "fail": False},
        {"lr": 0.2, "fail": False},
        {"lr": 0.3, "fail": False},
    ]
    for job, run in enumerate(runs):
        assert run.state == "completed"  # type: ignore[attr-defined]
        assert sorted(run.tags) == ["from-hydra", f"lr={run.params['lr']}"]  # type: ignore[attr-defined]
        assert run.run_dir == str((sweep / str(job)).resolve())  # type: ignore[attr-defined]
        assert (sweep / str(job) / "marker.txt").read_text() == str(run.id)  # type: ignore[attr-defined]
    summaries = open_store(str(store)).metric_summaries(runs[2].id)  # type: ignore[attr-defined]
    assert summaries["loss"]["last"] == 0.3
    assert summaries["loss"]["count"] == 3


def test_callback_records_a_failed_job(tmp_path: Path) -> None:
    store = tmp_path / "hl.db"
    app = _write_app(tmp_path / "app", store, callback=True)
    done = _run(app, "fail=true", f"hydra.run.dir={tmp_path / 'out'}")
    assert done.returncode != 0
    (run,) = _study_runs(store, "tracked")
    assert run.state == "failed"  # type: ignore[attr-defined]
    assert "boom on purpose" in run.error  # type: ignore[attr-defined]


def test_track_decorator(tmp_path: Path) -> None:
    store = tmp_path / "hl.db"
    app = _write_app(tmp_path / "app", store, callback=False)
    done = _run(app, "-m", "lr=1,2", f"hydra.sweep.dir={tmp_path / 'multirun'}")
    assert done.returncode == 0, done.stderr
    runs = _study_runs(store, "decorated")
    assert sorted(r.params["lr"] for r in runs) == [1, 2]  # type: ignore[attr-defined]
    assert {r.state for r in runs} == {"completed"}  # type: ignore[attr-defined]
