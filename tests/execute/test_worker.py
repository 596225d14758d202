"""Workers: real processes draining the queue, surviving SIGKILL and SIGTERM."""

from __future__ import annotations

import os
import signal
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

import hyperlab as hl
from hyperlab.store import Store

FUNCTIONS = textwrap.dedent(
    """
    import os

    def train(lr, bs, run):
        with open(os.environ["DRAIN_LOG"], "a") as out:
            out.write(f"{run.id} {os.getpid()}\\n")
        run.log(step=0, loss=lr * bs)
        return {"score": lr * bs}

    def explode(x):
        raise ValueError(f"bad x {x}")

    def needs_checkpoint(run):
        return None
    """
)

# A command that records each start, resumes from its checkpoint, and waits for a release file.
WAITER = textwrap.dedent(
    """
    import json, os, pathlib, sys, time

    run_dir = pathlib.Path(os.environ["HYPERLAB_RUN_DIR"])
    here = pathlib.Path(sys.argv[1])
    checkpoint = run_dir / "checkpoint.json"
    if checkpoint.exists():
        print("resumed from", json.loads(checkpoint.read_text())["step"], flush=True)
    else:
        checkpoint.write_text(json.dumps({"step": 5}))
    with open(here / "starts.log", "a") as out:
        out.write(os.environ["HYPERLAB_RUN_ID"] + "\\n")
    deadline = time.monotonic() + 120
    while not (here / "release").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    print(json.dumps({"step": 6, "loss": 0.25}), flush=True)
    """
)


def _starts(tmp_path: Path) -> list[str]:
    path = tmp_path / "starts.log"
    return path.read_text().split() if path.exists() else []


def test_two_worker_processes_drain_the_queue_once(
    store: Store, tmp_path: Path, helpers: Any, monkeypatch: Any
) -> None:
    (tmp_path / "jobs_mod.py").write_text(FUNCTIONS)
    log = tmp_path / "drain.log"
    monkeypatch.setenv("DRAIN_LOG", str(log))
    grid = [{"lr": lr / 100, "bs": bs} for lr in range(1, 11) for bs in (8, 16, 32)]
    result = hl.study("drain", store=store).enqueue(grid, function="jobs_mod:train")
    assert result.queued == 30
    workers = [
        helpers.hyperlab_proc(store, tmp_path, "worker", "--study", "drain", "--idle-exit-s", "2")
        for _ in range(2)
    ]
    for proc in workers:
        code, _out, err = helpers.finish(proc)
        assert code == 0, err
    lines = [line.split() for line in log.read_text().splitlines()]
    per_run = Counter(int(run_id) for run_id, _pid in lines)
    assert per_run == Counter(result.run_ids)  # every run exactly once
    runs = store.get_runs(result.run_ids)
    assert {r.state for r in runs} == {"completed"}
    assert {r.lease_owner for r in runs} == {None}
    assert store.metric_summaries(result.run_ids[0])["score"]["value"] == 0.08


def test_in_process_worker_runs_commands_and_records_failures(
    store: Store, tmp_path: Path, monkeypatch: Any
) -> None:
    (tmp_path / "jobs_mod.py").write_text(FUNCTIONS)
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "release").touch()
    (tmp_path / "waiter.py").write_text(WAITER)
    study = hl.study("mixed", store=store)
    cmd = study.enqueue({"x": 1}, command=f"{os.sys.executable} waiter.py {tmp_path}", priority=2)
    bad = study.enqueue({"x": 2}, function="jobs_mod:explode", priority=1)
    sh = study.enqueue({"x": 3}, command="sh -c 'exit $0' {x}")
    report = hl.worker("mixed", store=store, idle_exit_s=0, echo=False)
    assert report.claimed == 3
    assert report.by_state == {"completed": 1, "failed": 2}
    done = store.get_run(cmd.run_ids[0])
    assert done.state == "completed"
    assert "loss" in store.metric_summaries(done.id)
    failed = store.get_run(bad.run_ids[0])
    assert failed.state == "failed"
    assert "bad x 2" in (failed.error or "")
    assert "exited with code 3" in (store.get_run(sh.run_ids[0]).error or "")
    # Runs record the worker's facts, as runs started by hand do (reproduce relies on them).
    import platform

    assert failed.python_version == platform.python_version()
    assert failed.host and failed.platform
    # A failing run is not retried unless asked.
    assert hl.worker("mixed", store=store, idle_exit_s=0, echo=False).claimed == 0
    assert hl.queue("mixed", store=store).retry() == 2


def test_a_killed_workers_run_is_recovered_after_its_lease(
    store: Store, tmp_path: Path, helpers: Any
) -> None:
    (tmp_path / "waiter.py").write_text(WAITER)
    (run_id,) = (
        hl.study("kill", store=store)
        .enqueue({"x": 1}, command=f"python waiter.py {tmp_path}")
        .run_ids
    )
    # Only the killed worker's lease is short: expiry is what this test is about.
    first = helpers.hyperlab_proc(store, tmp_path, "worker", "--lease-s", "1")
    helpers.wait_for(lambda: _starts(tmp_path) == [str(run_id)], "the first worker to start")
    first.send_signal(signal.SIGKILL)
    helpers.finish(first)
    (tmp_path / "release").touch()
    second = helpers.hyperlab_proc(store, tmp_path, "worker", "--max-runs", "1")
    code, _out, err = helpers.finish(second)
    assert code == 0, err
    run = store.get_run(run_id)
    assert (run.state, run.attempt, run.lease_owner) == ("completed", 1, None)
    assert "resumed from 5" in (Path(run.run_dir or "") / "stdout.log").read_text()


def test_sigterm_interrupts_and_requeues_the_run(
    store: Store, tmp_path: Path, helpers: Any
) -> None:
    (tmp_path / "waiter.py").write_text(WAITER)
    (run_id,) = (
        hl.study("term", store=store)
        .enqueue({"x": 1}, command=f"python waiter.py {tmp_path}")
        .run_ids
    )
    first = helpers.hyperlab_proc(store, tmp_path, "worker")
    helpers.wait_for(lambda: _starts(tmp_path) == [str(run_id)], "the worker to start the run")
    first.send_signal(signal.SIGTERM)
    code, _out, err = helpers.finish(first)
    assert code == 0, err
    assert "stopped by SIGTERM" in err
    run = store.get_run(run_id)
    assert (run.state, run.attempt, run.lease_owner) == ("queued", 0, None)
    (tmp_path / "release").touch()
    code, _out, err = helpers.finish(
        helpers.hyperlab_proc(store, tmp_path, "worker", "--max-runs", "1")
    )
    assert code == 0, err
    run = store.get_run(run_id)
    assert run.state == "completed"
    assert "resumed from 5" in (Path(run.run_dir or "") / "stdout.log").read_text()
    assert _starts(tmp_path) == [str(run_id), str(run_id)]


def test_cancelling_a_running_run_stops_its_command(
    store: Store, tmp_path: Path, helpers: Any
) -> None:
    (tmp_path / "waiter.py").write_text(WAITER)
    (run_id,) = (
        hl.study("cancel", store=store)
        .enqueue({"x": 1}, command=f"python waiter.py {tmp_path}")
        .run_ids
    )
    # A short lease only makes the heartbeat frequent: no other worker could take the run.
    proc = helpers.hyperlab_proc(store, tmp_path, "worker", "--lease-s", "1.5", "--max-runs", "1")
    helpers.wait_for(lambda: _starts(tmp_path) == [str(run_id)], "the worker to start the run")
    assert hl.queue("cancel", store=store).cancel(running=True) == 1
    code, _out, err = helpers.finish(proc)
    assert code == 0, err
    assert "1 interrupted" in err
    assert store.get_run(run_id).state == "interrupted"
    assert not (tmp_path / "release").exists()
