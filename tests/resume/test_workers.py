"""Forks, extensions and resumes executed by queue workers, including concurrent workers."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

import hyperlab as hl
from hyperlab.cli.main import cli
from hyperlab.execute.queueing import enqueue
from hyperlab.store import Store

from .model import fresh

TRAIN_MODULE = textwrap.dedent(
    '''
    """Training used by queued runs: interrupts itself once when asked (marker files)."""
    import pickle
    from pathlib import Path

    from sklearn.datasets import make_classification
    from sklearn.linear_model import SGDClassifier


    def train(run):
        x, y = make_classification(n_samples=120, n_features=6, random_state=0)
        info = run.resume_info
        if info is not None and info.checkpoint is not None:
            model = pickle.loads(info.checkpoint.read_bytes())
        else:
            model = SGDClassifier(learning_rate="constant", eta0=run.params["lr"],
                                  random_state=0, shuffle=True, tol=None)
        start = info.start_step if info is not None else 0
        stop = run.params.get("interrupt_at")
        marker = Path(run.params.get("marker", "")) / f"interrupted-{run.id}"
        for epoch in range(start, run.params["epochs"]):
            if stop is not None and epoch == stop and not marker.exists():
                marker.touch()
                raise KeyboardInterrupt
            model.partial_fit(x, y, classes=[0, 1])
            run.log(step=epoch, acc=float(model.score(x, y)))
            run.checkpoint(pickle.dumps(model), step=epoch)
        (Path(run.dir) / "coef.npy").write_bytes(pickle.dumps(model.coef_))
    '''
)


def _setup(tmp_path: Path) -> Path:
    code = tmp_path / "code"
    code.mkdir()
    (code / "hl_resume_train.py").write_text(TRAIN_MODULE, encoding="utf-8")
    return code


def _coef(store: Store, run_id: int) -> Any:
    import pickle

    return pickle.loads((store.runs_root / str(run_id) / "coef.npy").read_bytes())


def test_queued_fork_is_run_by_a_worker(store: Store, tmp_path: Path, dataset: Any) -> None:
    code = _setup(tmp_path)
    study = hl.study("w", store=store)
    parent = enqueue(study, {"lr": 0.01, "epochs": 3}, function="hl_resume_train:train", cwd=code)
    hl.worker(store=store, max_runs=1, idle_exit_s=0, echo=False)
    (parent_id,) = parent.run_ids
    assert store.get_run(parent_id).state == "completed"

    fork_id = study.enqueue_fork(parent_id, changes={"epochs": 5})
    fork = store.get_run(fork_id)
    assert (fork.state, fork.spec, fork.fork_step) == ("queued", store.get_run(parent_id).spec, 2)
    hl.worker(store=store, max_runs=1, idle_exit_s=0, echo=False)
    assert store.get_run(fork_id).state == "completed"
    assert list(hl.history(fork_id, "acc", store=store)["step"]) == [3, 4]
    x, y = dataset
    assert np.array_equal(_coef(store, fork_id), fresh(x, y, 5, 0.01).coef_)


def test_concurrent_workers_resume_different_runs(
    store: Store, store_url: str, tmp_path: Path, dataset: Any
) -> None:
    code = _setup(tmp_path)
    study = hl.study("w", store=store)
    queued = enqueue(
        study,
        [
            {"lr": 0.01, "epochs": 5, "interrupt_at": 2, "marker": str(tmp_path)},
            {"lr": 0.02, "epochs": 5, "interrupt_at": 3, "marker": str(tmp_path)},
        ],
        function="hl_resume_train:train",
        cwd=code,
    )
    first, second = queued.run_ids
    # Run each here once: it interrupts itself (epoch 2, resp. 3), then `hyperlab resume`
    # queues it again under the same id.
    sys.path.insert(0, str(code))
    try:
        from hl_resume_train import train  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(code))
    for run_id in (first, second):
        with pytest.raises(KeyboardInterrupt), study.open_run(run_id) as run:
            train(run)
        assert store.get_run(run_id).state == "interrupted"
    for run_id, step in ((first, 1), (second, 2)):
        result = CliRunner().invoke(cli, ["--store", store_url, "resume", str(run_id)])
        assert result.exit_code == 0, result.output
        assert f"to resume from checkpoint at step {step}" in result.output
        assert store.get_run(run_id).state == "queued"
    assert list(hl.history(first, "acc", store=store)["step"]) == [0, 1]
    assert list(hl.history(second, "acc", store=store)["step"]) == [0, 1, 2]

    env = {**os.environ, "HYPERLAB_STORE": store_url, "HYPERLAB_RUNS_DIR": str(store.runs_root)}
    command = [sys.executable, "-m", "hyperlab", "worker", "--max-runs", "1", "--quiet",
               "--idle-exit-s", "5", "--lease-s", "600"]  # fmt: skip
    workers = [subprocess.Popen(command, env=env, cwd=tmp_path) for _ in range(2)]
    for proc in workers:
        assert proc.wait(timeout=300) == 0
    x, y = dataset
    for run_id, lr in ((first, 0.01), (second, 0.02)):
        record = store.get_run(run_id)
        assert record.state == "completed"
        assert list(hl.history(run_id, "acc", store=store)["step"]) == [0, 1, 2, 3, 4]
        assert np.array_equal(_coef(store, run_id), fresh(x, y, 5, lr).coef_)
