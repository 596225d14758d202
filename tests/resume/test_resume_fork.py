"""Resume a run under its id, fork it with changed params, stitched curves, broken checkpoints."""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pytest

import hyperlab as hl
from hyperlab.errors import CheckpointError, StateError
from hyperlab.store import Store

from .model import fresh, new_model, train


def _steps(store: Store, run_id: int, key: str = "acc") -> list[int]:
    frame = hl.history(run_id, key, store=store)
    return [int(s) for s in frame["step"]]


def test_interrupted_run_resumes_under_same_id(store: Store, dataset: Any) -> None:
    x, y = dataset
    study = hl.study("s", directions={"acc": "max"}, store=store)
    run = study.start_run({"lr": 0.01, "epochs": 5})
    with pytest.raises(KeyboardInterrupt), run:
        train(run, x, y, stop_after=2)
    assert store.get_run(run.id).state == "interrupted"
    assert _steps(store, run.id) == [0, 1]

    with study.resume(run.id) as again:
        assert again.id == run.id
        info = again.resume_info
        assert info is not None
        assert (info.kind, info.step, info.start_step, info.last_step) == ("resume", 1, 2, 1)
        model = train(again, x, y)
    record = store.get_run(run.id)
    assert record.state == "completed"
    assert _steps(store, run.id) == [0, 1, 2, 3, 4]  # 2 epochs, then the remaining 3
    assert np.array_equal(model.coef_, fresh(x, y, 5, 0.01).coef_)


def test_completed_or_running_run_cannot_be_resumed(store: Store, dataset: Any) -> None:
    x, y = dataset
    study = hl.study("s", store=store)
    with study.start_run({"lr": 0.01, "epochs": 1}) as run:
        train(run, x, y)
    with pytest.raises(StateError, match="fork or extend"):
        study.resume(run.id)
    live = study.start_run({"lr": 0.01, "epochs": 1})
    with pytest.raises(StateError, match="running"):
        study.resume(live.id)
    live.finish()


def test_second_claim_of_the_same_run_loses(store: Store, dataset: Any) -> None:
    x, y = dataset
    study = hl.study("s", store=store)
    run = study.start_run({"lr": 0.01, "epochs": 3})
    with pytest.raises(KeyboardInterrupt), run:
        train(run, x, y, stop_after=1)
    first = study.resume(run.id)
    with pytest.raises(StateError):
        study.resume(run.id)
    first.finish()


def test_fork_with_new_params_counts_add_up_and_stitches(store: Store, dataset: Any) -> None:
    x, y = dataset
    study = hl.study("s", store=store)
    with study.start_run({"lr": 0.01, "epochs": 4, "batch": 8}) as parent:
        train(parent, x, y)
    # Fork after epoch index 1 (2 epochs done) with a lower lr and 5 epochs in total.
    with study.fork(parent.id, step=1, changes={"lr": 0.001, "epochs": 5}) as child:
        info = child.resume_info
        assert info is not None
        assert (info.kind, info.parent_run_id, info.step, info.start_step) == (
            "fork", parent.id, 1, 2,
        )  # fmt: skip
        assert info.changes == {"lr": 0.001, "epochs": 5}
        assert child.params == {"lr": 0.001, "epochs": 5, "batch": 8}
        model = train(child, x, y)
    record = store.get_run(child.id)
    assert (record.parent_run_id, record.fork_step) == (parent.id, 1)
    assert _steps(store, child.id) == [2, 3, 4]  # its own points start after the fork step
    assert _steps(store, parent.id) == [0, 1, 2, 3]  # the parent is untouched

    expected = new_model(0.01)
    for _ in range(2):
        expected.partial_fit(x, y, classes=[0, 1])
    expected.set_params(eta0=0.001)
    for _ in range(3):
        expected.partial_fit(x, y, classes=[0, 1])
    assert np.array_equal(model.coef_, expected.coef_)

    stitched = hl.history(child.id, "acc", store=store, stitched=True)
    assert list(stitched["step"]) == [0, 1, 2, 3, 4]
    assert list(stitched["source_run_id"]) == [parent.id] * 2 + [child.id] * 3
    assert set(stitched["run_id"]) == {child.id}


def test_curriculum_chain_stitches_through_grandparent(store: Store, dataset: Any) -> None:
    x, y = dataset
    study = hl.study("s", store=store)
    with study.start_run({"lr": 0.1, "epochs": 6}) as a:
        train(a, x, y)
    with study.fork(a, step=2, changes={"lr": 0.01}) as b:
        train(b, x, y)
    # Fork b at step 1: b's own checkpoints start at 3, so a's checkpoint at step 1 is used.
    with study.fork(b, step=1, changes={"lr": 0.001, "epochs": 3}) as c:
        info = c.resume_info
        assert info is not None
        assert info.source_run_id == a.id
        assert info.step == 1
        train(c, x, y)
    with study.fork(b, step=4, changes={"lr": 0.001}) as d:
        train(d, x, y)
    frame = hl.history(d.id, "acc", store=store, stitched=True)
    assert list(frame["step"]) == [0, 1, 2, 3, 4, 5]
    assert list(frame["source_run_id"]) == [a.id] * 3 + [b.id] * 2 + [d.id]
    frame = hl.history(c.id, "acc", store=store, stitched=True)
    assert list(frame["source_run_id"]) == [a.id] * 2 + [c.id]
    # Without stitching, a run's history holds only its own points.
    assert _steps(store, d.id) == [5]


@pytest.mark.parametrize("damage", ["corrupt", "missing"])
def test_broken_checkpoint_is_a_clear_error_and_parent_untouched(
    store: Store, dataset: Any, damage: str
) -> None:
    x, y = dataset
    study = hl.study("s", store=store)
    with study.start_run({"lr": 0.01, "epochs": 3}) as parent:
        train(parent, x, y)
    latest = parent.checkpoints[-1]
    if damage == "corrupt":
        latest.path.write_bytes(b"not a model")
    else:
        latest.path.unlink()
    before = store.get_run(parent.id)
    runs_before = len(study.runs())
    with pytest.raises(
        CheckpointError, match=f"step 2 is {damage if damage == 'missing' else 'corrupted'}"
    ):
        study.fork(parent, changes={"epochs": 5})
    with pytest.raises(CheckpointError):
        study.enqueue_fork(parent, changes={"epochs": 5})
    assert len(study.runs()) == runs_before
    after = store.get_run(parent.id)
    assert (after.state, after.params, after.ended_at) == (
        before.state,
        before.params,
        before.ended_at,
    )
    # An earlier, intact checkpoint still works.
    with study.fork(parent, step=1, changes={"epochs": 3}) as child:
        assert child.resume_info is not None
        assert child.resume_info.step == 1
        train(child, x, y)


def test_resume_with_broken_checkpoint_leaves_run_as_it_was(store: Store, dataset: Any) -> None:
    x, y = dataset
    study = hl.study("s", store=store)
    run = study.start_run({"lr": 0.01, "epochs": 4})
    with pytest.raises(KeyboardInterrupt), run:
        train(run, x, y, stop_after=2)
    run.checkpoints[-1].path.write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="corrupted"):
        study.resume(run.id)
    assert store.get_run(run.id).state == "interrupted"


def test_fork_before_first_checkpoint_says_which_steps_exist(store: Store) -> None:
    study = hl.study("s", store=store)
    with study.start_run({"epochs": 3}) as run:
        for step in range(3):
            run.log(step=step, acc=0.1 * step)
        run.checkpoint(b"state-2", step=2)
    with pytest.raises(CheckpointError, match=r"at steps \[2\]"):
        study.fork(run, step=1)


def test_checkpoint_from_file_and_bytes(store: Store, tmp_path: Any) -> None:
    study = hl.study("s", store=store)
    saved = tmp_path / "model.pt"
    saved.write_bytes(b"weights")
    with study.start_run({"epochs": 2}) as run:
        first = run.checkpoint(saved, step=0)
        second = run.checkpoint(pickle.dumps({"w": 1}), step=1)
        again = run.checkpoint(b"replaced", step=1)
    assert first.path.read_bytes() == b"weights"
    assert first.path.parent == run.dir / "checkpoints"
    assert second.path == again.path
    assert again.path.read_bytes() == b"replaced"
    assert [c.step for c in run.checkpoints] == [0, 1]
    assert store.get_run(run.id).meta["checkpoint.step"] == 1


def test_fork_without_checkpoints_inherits_curves(store: Store) -> None:
    study = hl.study("s", store=store)
    with study.start_run({"lr": 0.1}) as run:
        for step in range(4):
            run.log(step=step, loss=1.0 / (step + 1))
    with study.fork(run, changes={"lr": 0.05}) as child:
        info = child.resume_info
        assert info is not None
        assert info.checkpoint is None
        assert info.start_step == 4
        child.log(loss=0.1)  # the default step continues after the fork step
    assert _steps(store, child.id, "loss") == [4]
    assert list(hl.history(child.id, "loss", store=store, stitched=True)["step"]) == [
        0,
        1,
        2,
        3,
        4,
    ]


def test_handle_made_by_a_worker_continues_after_the_fork_step(store: Store) -> None:
    from hyperlab.tracking.study import attach_run

    study = hl.study("s", store=store)
    with study.start_run({"lr": 0.1}) as run:
        for step in range(3):
            run.log(step=step, loss=1.0)
        run.checkpoint(b"state", step=2)
    fork_id = study.enqueue_fork(run, changes={"lr": 0.01})
    handle = attach_run(fork_id, store=store)  # what a worker does with a claimed run
    with handle:
        info = handle.resume_info
        assert info is not None
        assert info.checkpoint is not None
        assert info.checkpoint.read_bytes() == b"state"
        handle.log(loss=0.5)
    assert _steps(store, fork_id, "loss") == [3]
