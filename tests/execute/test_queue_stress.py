"""PostgreSQL under load: 8 worker processes drain 2,000 queued runs, each exactly once."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import hyperlab as hl
from hyperlab.store import forget_open_stores, open_store

N_RUNS = 2000
N_WORKERS = 8
DRAIN_DEADLINE_S = 300.0
"""Generous: the drain takes well under a minute on 2 busy cores."""

NOOP = textwrap.dedent(
    """
    import os, time

    def noop(i, run):
        # One file per worker process: start and end of each execution of each run.
        path = os.path.join(os.environ["DRAIN_DIR"], f"{os.getpid()}.log")
        with open(path, "a") as out:
            out.write(f"start {run.id} {time.time()!r}\\n")
            out.flush()
            out.write(f"end {run.id} {time.time()!r}\\n")
    """
)


def _executions(drain_dir: Path) -> list[tuple[int, int, float, float]]:
    """``(run_id, pid, start, end)`` of every execution that the function recorded."""
    found = []
    for log in drain_dir.glob("*.log"):
        pid = int(log.stem)
        starts: dict[int, float] = {}
        for line in log.read_text().splitlines():
            kind, run_id, stamp = line.split()
            if kind == "start":
                starts[int(run_id)] = float(stamp)
            else:
                found.append((int(run_id), pid, starts.pop(int(run_id)), float(stamp)))
        assert not starts, f"worker {pid} started runs it never finished: {sorted(starts)}"
    return found


@pytest.mark.slow
@pytest.mark.postgres
def test_eight_workers_drain_two_thousand_runs_exactly_once(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, helpers: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "stress_fns.py").write_text(NOOP)
    drain_dir = tmp_path / "drain"
    drain_dir.mkdir()
    forget_open_stores()
    store = open_store(postgres_url)
    study = hl.study("stress", store=store)
    queued = study.enqueue([{"i": i} for i in range(N_RUNS)], function="stress_fns:noop")
    assert queued.queued == N_RUNS

    env = {**helpers.child_env(tmp_path), "DRAIN_DIR": str(drain_dir)}
    procs = []
    for k in range(N_WORKERS):
        with (tmp_path / f"worker-{k}.out").open("w") as out:
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "hyperlab",
                        "--store",
                        postgres_url,
                        "worker",
                        "--study",
                        "stress",
                        "--quiet",
                        "--idle-exit-s",
                        "3",
                        # Far longer than any run: no lease may expire on a loaded machine.
                        "--lease-s",
                        "900",
                    ],
                    cwd=tmp_path,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
    end = time.monotonic() + DRAIN_DEADLINE_S
    for proc in procs:
        try:
            proc.wait(timeout=max(end - time.monotonic(), 1.0))
        except subprocess.TimeoutExpired:
            for other in procs:
                other.kill()
            raise AssertionError("the workers did not drain the queue in time") from None
    logs = {p.name: p.read_text() for p in tmp_path.glob("worker-*.out")}
    assert [p.returncode for p in procs] == [0] * N_WORKERS, logs

    runs = hl.query(None, study="stress", store=store)
    assert len(runs) == N_RUNS  # none lost
    assert Counter(runs["state"]) == {"completed": N_RUNS}
    records = store.get_runs(queued.run_ids)
    assert {r.attempt for r in records} == {0}  # no lease expired, nothing was re-run

    executions = _executions(drain_dir)
    per_run = Counter(run_id for run_id, *_ in executions)
    assert set(per_run) == set(queued.run_ids)
    assert set(per_run.values()) == {1}  # every run executed exactly once
    # Each run was executed by the worker the store says claimed it.
    pids = {run_id: pid for run_id, pid, *_ in executions}
    assert all(pids[r.id] == r.pid for r in records)
    assert len(set(pids.values())) >= 2  # the work was shared
