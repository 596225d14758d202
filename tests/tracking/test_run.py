"""Tracking runs from Python: the API users write in their training scripts."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import hyperlab as hl
from hyperlab.errors import InvalidValueError
from hyperlab.store import Store


def test_a_tracked_run_records_params_curves_and_summaries(store: Store) -> None:
    study = hl.study(
        "mnist-mlp",
        version="3",
        description="fixed bug in dropout",
        directions={"val_acc": "max", "val_loss": "min"},
        store=store,
    )
    with study.start_run(params={"lr": 0.01, "optim": {"name": "adam"}}, tags=["baseline"]) as run:
        for epoch in range(10):
            run.log(step=epoch, train_loss=1.0 / (epoch + 1), val_acc=epoch / 10)
        run.set_summary(test_acc=0.91)
    record = store.get_run(run.id)
    assert record.state == "completed"
    assert record.params == {"lr": 0.01, "optim.name": "adam"}
    assert record.tags == ["baseline"]
    assert record.ended_at is not None and record.started_at is not None
    summaries = store.metric_summaries(run.id)
    assert summaries["val_acc"]["best"] == 0.9
    assert summaries["val_acc"]["count"] == 10
    assert summaries["train_loss"]["last"] == 0.1
    assert summaries["test_acc"]["value"] == 0.91
    assert run.ref == "mnist-mlp/1"


def test_step_auto_increments_and_follows_explicit_steps(store: Store) -> None:
    with hl.start_run("steps", store=store) as run:
        run.log(a=1)
        run.log(a=2)
        run.log(step=10, a=3)
        run.log(a=4)
    history = hl.history(run.id, store=store)
    assert history["step"].tolist() == [0, 1, 10, 11]
    assert history["value"].tolist() == [1.0, 2.0, 3.0, 4.0]


def test_bad_metric_values_are_refused_and_nothing_is_lost(store: Store) -> None:
    with hl.start_run("bad", store=store) as run:
        run.log(loss=0.5)
        with pytest.raises(InvalidValueError, match="metric 'loss' must be a number, got str 'x'"):
            run.log(loss="x")
        with pytest.raises(InvalidValueError, match="step must be an integer"):
            run.log(step=1.5, loss=0.1)
        run.log(loss=float("nan"))
        run.log(loss=float("inf"))
    values = hl.history(run, store=store)["value"].tolist()
    assert values[0] == 0.5
    assert math.isnan(values[1])
    assert values[2] == math.inf


def test_numpy_values_are_accepted(store: Store) -> None:
    import numpy as np

    with hl.start_run("np", params={"lr": np.float32(0.5), "n": np.int64(3)}, store=store) as run:
        run.log(step=np.int64(2), acc=np.float32(0.25))
    assert store.get_run(run.id).params == {"lr": 0.5, "n": 3}
    assert hl.history(run, store=store)["step"].tolist() == [2]


def test_an_exception_marks_the_run_failed_with_its_traceback(store: Store) -> None:
    def train() -> None:
        with hl.start_run("crash", store=store) as run:
            run.log(loss=1.0)
            train.run_id = run.id  # type: ignore[attr-defined]
            raise RuntimeError("diverged at epoch 3")

    with pytest.raises(RuntimeError):
        train()
    record = store.get_run(train.run_id)  # type: ignore[attr-defined]
    assert record.state == "failed"
    assert record.error is not None
    assert "RuntimeError: diverged at epoch 3" in record.error
    assert "train()" in record.error or "in train" in record.error
    assert store.metric_summaries(record.id)["loss"]["count"] == 1


def test_ctrl_c_marks_the_run_interrupted(store: Store) -> None:
    with pytest.raises(KeyboardInterrupt), hl.start_run("ctrl-c", store=store) as run:
        raise KeyboardInterrupt
    assert store.get_run(run.id).state == "interrupted"


def test_meta_notes_tags_and_params_after_start(store: Store) -> None:
    with hl.start_run("meta", params={"lr": 0.1}, notes="first try", store=store) as run:
        run.set_meta(dataset="mnist", preprocessing={"norm": "standard"})
        run.log_params(epochs=10)
        run.set_tags("keep", "x")
        run.set_tags(remove=["x"])
        run.note("looks good")
    record = store.get_run(run.id)
    assert record.meta == {"dataset": "mnist", "preprocessing.norm": "standard"}
    assert record.params == {"lr": 0.1, "epochs": 10}
    assert record.tags == ["keep"]
    assert record.notes == "first try\nlooks good"


def test_run_dir_and_current_run(store: Store) -> None:
    assert hl.current_run() is None
    with hl.start_run("dirs", store=store) as run:
        assert hl.current_run() is run
        (run.dir / "model.ckpt").write_bytes(b"weights")
        assert run.dir.is_dir()
    assert hl.current_run() is None
    assert Path(run.dir, "model.ckpt").read_bytes() == b"weights"


def test_environment_is_captured(store: Store) -> None:
    with hl.start_run("env", store=store) as run:
        pass
    record = store.get_run(run.id)
    assert record.host
    assert record.pid is not None
    assert record.python_version
    assert "numpy" in record.env["packages"]
    assert record.cwd


def test_finish_is_idempotent_and_rejects_running_states(store: Store) -> None:
    run = hl.start_run("finish", store=store)
    with pytest.raises(InvalidValueError, match="unknown run state 'done'"):
        run.finish("done")
    run.finish("pruned")
    run.finish("completed")
    assert store.get_run(run.id).state == "pruned"
