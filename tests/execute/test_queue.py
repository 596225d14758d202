"""The queue: enqueue with skipping, atomic claims, leases, recovery, pause/cancel/retry."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import hyperlab as hl
from hyperlab.cli.main import cli
from hyperlab.errors import InvalidValueError, TemplateError
from hyperlab.store import Store
from hyperlab.store import queue as q

GRID = [{"lr": lr, "bs": bs} for lr in (0.1, 0.01) for bs in (16, 32)]


def _claim(store: Store, owner: str = "w1", lease_s: float = 600.0, **kw: Any) -> q.Claim | None:
    with store.write() as conn:
        return q.claim(conn, owner, lease_s, **kw)


def _recover(store: Store, now: float) -> tuple[int, int]:
    with store.write() as conn:
        return q.recover_expired(conn, now)


def _state(store: Store, run_id: int) -> str:
    return store.get_run(run_id).state


def test_enqueue_creates_queued_runs_with_a_rendered_command(store: Store) -> None:
    study = hl.study("grid", store=store)
    result = study.enqueue(GRID, command="python train.py --lr {lr} --bs {bs}")
    assert result.queued == 4
    assert result.skipped_completed == 0
    runs = store.get_runs(result.run_ids)
    assert [r.state for r in runs] == ["queued"] * 4
    assert runs[0].command == "python train.py --lr 0.1 --bs 16"
    assert runs[0].spec is not None
    assert runs[0].spec["kind"] == "command"


def test_enqueue_skips_completed_and_pending_configurations(store: Store) -> None:
    study = hl.study("grid", defaults={"dropout": 0.0}, store=store)
    # Completed by hand, with the default spelled out: the same effective configuration.
    study.record_run({"lr": 0.1, "bs": 16, "dropout": 0.0}, final={"acc": 0.9})
    first = study.enqueue(GRID, function="pkg.mod:train")
    assert (first.queued, first.skipped_completed, first.skipped_pending) == (3, 1, 0)
    again = study.enqueue(GRID, function="pkg.mod:train")
    assert (again.queued, again.skipped_completed, again.skipped_pending) == (0, 1, 3)
    more = study.enqueue(GRID[:1], function="pkg.mod:train", repeats=3)
    assert more.queued == 2
    assert "queued 2 run(s)" in str(more)


def test_enqueue_accepts_a_param_space(store: Store) -> None:
    space = hl.ParamSpace(lr=[0.1, 0.2], depth=range(3))
    result = hl.study("space", store=store).enqueue(space, function="pkg.mod:train")
    assert result.queued == 6


def test_bad_templates_and_arguments_write_nothing(store: Store) -> None:
    study = hl.study("bad", store=store)
    with pytest.raises(TemplateError, match=r"\{momentum\}.*available keys: bs, lr"):
        study.enqueue(GRID, command="python train.py --lr {lr} --m {momentum}")
    with pytest.raises(InvalidValueError, match="exactly one of"):
        study.enqueue(GRID)
    with pytest.raises(InvalidValueError, match=r"package\.module:train"):
        study.enqueue(GRID, function="not a function")
    assert hl.queue("bad", store=store).ls() == []


def test_claims_take_priority_then_age_and_never_twice(store: Store) -> None:
    study = hl.study("prio", store=store)
    low = study.enqueue([{"x": 1}, {"x": 2}], function="m:f").run_ids
    high = study.enqueue([{"x": 3}], function="m:f", priority=5).run_ids
    order = []
    while (claimed := _claim(store, owner=f"w{len(order)}")) is not None:
        order.append(claimed.run_id)
    assert order == [*high, *low]
    assert all(_state(store, i) == "running" for i in order)


def test_claims_can_be_limited_to_studies(store: Store) -> None:
    hl.study("a", store=store).enqueue({"x": 1}, function="m:f")
    (b_id,) = hl.study("b", store=store).enqueue({"x": 1}, function="m:f").run_ids
    claimed = _claim(store, study_names=["b"])
    assert claimed is not None
    assert claimed.run_id == b_id
    assert _claim(store, study_names=["b"]) is None


def test_expired_leases_requeue_then_lose_the_run(store: Store) -> None:
    study = hl.study("lease", store=store)
    (run_id,) = study.enqueue({"x": 1}, function="m:f", max_attempts=2).run_ids
    claimed = _claim(store, lease_s=10.0)
    assert claimed is not None
    now = time.time()
    assert _recover(store, now) == (0, 0)  # the lease is still valid
    assert _recover(store, now + 11) == (1, 0)
    run = store.get_run(run_id)
    assert (run.state, run.attempt, run.lease_owner) == ("queued", 1, None)
    assert _claim(store, lease_s=10.0) is not None
    assert _recover(store, time.time() + 11) == (0, 1)
    run = store.get_run(run_id)
    assert (run.state, run.attempt) == ("lost", 2)
    assert "lease expired" in (run.error or "")


def test_renew_fails_once_the_lease_is_gone(store: Store) -> None:
    (run_id,) = hl.study("renew", store=store).enqueue({"x": 1}, function="m:f").run_ids
    assert _claim(store, owner="w1", lease_s=10.0) is not None
    with store.write() as conn:
        assert q.renew(conn, run_id, "w1", 10.0, time.time())
        assert not q.renew(conn, run_id, "someone-else", 10.0, time.time())
    _recover(store, time.time() + 60)
    with store.write() as conn:
        assert not q.renew(conn, run_id, "w1", 10.0, time.time())


def test_pause_resume_cancel_retry_from_python(store: Store) -> None:
    study = hl.study("ctl", store=store)
    ids = study.enqueue(GRID, function="m:f").run_ids
    queue = hl.queue("ctl", store=store)
    assert queue.pause("lr == 0.1") == 2
    assert [r["state"] for r in queue.ls()] == ["paused", "paused", "queued", "queued"]
    claimed = [_claim(store, owner=f"w{i}") for i in range(3)]
    assert sorted(c.run_id for c in claimed if c) == ids[2:]
    assert queue.counts() == {"paused": 2, "running": 2}
    assert queue.resume() == 2
    assert queue.cancel() == 2
    assert queue.counts() == {"interrupted": 2, "running": 2}
    assert queue.retry("bs == 16") == 1
    assert queue.counts() == {"interrupted": 1, "queued": 1, "running": 2}
    assert queue.cancel(running=True) == 3
    assert queue.retry() == 4
    assert queue.counts() == {"queued": 4}


def test_retry_leaves_runs_without_a_spec_alone(store: Store) -> None:
    study = hl.study("manual", store=store)
    study.record_run({"x": 1}, state="failed")
    assert hl.queue("manual", store=store).retry() == 0


def test_queue_cli(store: Store, tmp_path: Path) -> None:
    hl.study("cli", store=store).enqueue(GRID, command="python train.py --lr {lr}")
    runner = CliRunner()

    def invoke(*args: str) -> str:
        result = runner.invoke(cli, ["--store", store.url, "queue", *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    assert "pause: 2 run(s)" in invoke("pause", "cli", "bs == 32")
    listing = invoke("ls", "cli", "--format", "csv").splitlines()
    assert listing[0].startswith("run,state,priority,attempt")
    assert [line.split(",")[1] for line in listing[1:]] == ["queued", "paused", "queued", "paused"]
    assert "python train.py --lr 0.1" in listing[1]
    assert "resume: 2 run(s)" in invoke("resume", "all")
    assert "cancel: 4 run(s)" in invoke("cancel", "cli")
    assert "retry: 1 run(s)" in invoke("retry", "cli", "lr == 0.01 and bs == 16")
    assert len(invoke("ls", "--format", "json").split('"run"')) == 2
    unknown = runner.invoke(cli, ["--store", store.url, "queue", "ls", "nope"])
    assert unknown.exit_code == 1
    assert "nope" in unknown.output


def test_concurrent_enqueues_add_each_configuration_once(store: Store) -> None:
    from concurrent.futures import ThreadPoolExecutor

    study = hl.study("race", store=store)
    grid = [{"i": i} for i in range(20)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: study.enqueue(grid, function="m:f"), range(4)))
    assert sum(r.queued for r in results) == 20
    assert sum(r.skipped_pending for r in results) == 60
