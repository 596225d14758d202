"""The Slurm launcher against a real single-node Slurm with accounting (sacct)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import hyperlab as hl
from hyperlab.execute.launchers.base import JobRef, JobState
from hyperlab.execute.launchers.slurm import SlurmLauncher
from hyperlab.store import open_store
from hyperlab.testing.slurm import SlurmCluster

pytestmark = pytest.mark.slurm
DEADLINE_S = 120.0  # Slurm under load can be slow: poll, never sleep a fixed time


def _wait_for(predicate: object, what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        if callable(predicate) and predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def test_submit_reports_completed_and_failed_with_exit_code(
    slurm: SlurmCluster, tmp_path: Path, sqlite_url: str
) -> None:
    jobs = hl.submit(
        "echo on $(hostname) {code}\nexit {code}\n", "s{code}", {"code": [0, 4]},
        launcher="slurm", work_dir=tmp_path / "w", resources={"time": 5}, store=sqlite_url,
    )  # fmt: skip
    assert all(j.isdigit() for j in jobs["job_id"])
    done = hl.wait_jobs(jobs, timeout_s=DEADLINE_S, poll_s=0.5)
    assert list(done["state"]) == ["COMPLETED", "FAILED"]
    assert list(done["exit_code"]) == [0, 4]
    assert Path(done["stdout"][1]).read_text().split()[-1] == "4"
    runs = open_store(sqlite_url).get_runs([int(r) for r in done["run_id"]])
    assert [r.state for r in runs] == ["completed", "failed"]


def test_sacct_reports_failed_jobs_without_the_exit_file(
    slurm: SlurmCluster, tmp_path: Path, sqlite_url: str
) -> None:
    jobs = hl.submit("exit {code}\n", "f{code}", {"code": [5]}, launcher="slurm",
                     work_dir=tmp_path / "w", store=sqlite_url)  # fmt: skip
    hl.wait_jobs(jobs, timeout_s=DEADLINE_S, poll_s=0.5)
    job_dir = Path(jobs["work_dir"][0])
    (job_dir / ".hyperlab-exit").unlink()  # only the scheduler's own record remains
    launcher = SlurmLauncher()
    ref = JobRef(str(jobs["job_id"][0]), job_dir)

    def sacct_knows() -> bool:
        return launcher._finished([ref.job_id]).get(ref.job_id) is not None

    _wait_for(sacct_knows, "sacct to record the job")
    status = launcher.status([ref])[0]
    assert (status.state, status.exit_code) == (JobState.FAILED, 5)
    assert status.node == "localhost"


def test_scancel_gives_cancelled_and_interrupted_run(
    slurm: SlurmCluster, tmp_path: Path, sqlite_url: str
) -> None:
    started = tmp_path / "started"
    jobs = hl.submit(f"touch {started}\nsleep 600\n", "c{i}", {"i": [0]}, launcher="slurm",
                     work_dir=tmp_path / "w", store=sqlite_url)  # fmt: skip
    _wait_for(started.exists, "the job to start")
    assert hl.job_status(jobs)["state"][0] == "RUNNING"
    hl.cancel(jobs)
    done = hl.wait_jobs(jobs, timeout_s=DEADLINE_S, poll_s=0.5)
    assert done["state"][0] == "CANCELLED"
    run = open_store(sqlite_url).get_run(int(done["run_id"][0]))
    assert run.state == "interrupted"


def test_array_job_with_concurrency_limit(
    slurm: SlurmCluster, tmp_path: Path, sqlite_url: str
) -> None:
    canary = tmp_path / "canary"
    space = [{"i": i, "v": f"x; touch {canary}"} for i in range(4)]
    jobs = hl.submit("echo {i} {v}\n", "a{i}", space, launcher="slurm", array=True,
                     max_parallel=1, work_dir=tmp_path / "w", store=sqlite_url)  # fmt: skip
    base = jobs["job_id"][0].split("_")[0]
    assert list(jobs["job_id"]) == [f"{base}_{i}" for i in range(4)]
    assert list(jobs["array_index"]) == [0, 1, 2, 3]
    done = hl.wait_jobs(jobs, timeout_s=DEADLINE_S, poll_s=0.5)
    assert set(done["state"]) == {"COMPLETED"}
    outputs = [Path(p).read_text() for p in done["stdout"]]
    assert outputs == [f"{i} x; touch {canary}\n" for i in range(4)]
    assert not canary.exists()


def test_pending_array_tasks_are_reported_one_by_one(
    slurm: SlurmCluster, tmp_path: Path, sqlite_url: str
) -> None:
    started = tmp_path / "started"
    jobs = hl.submit(f"touch {started}\nsleep 600\n", "p{i}", {"i": [0, 1, 2]},
                     launcher="slurm", array=True, max_parallel=1, work_dir=tmp_path / "w",
                     store=sqlite_url)  # fmt: skip
    try:
        _wait_for(started.exists, "the first task to start")
        status = hl.job_status(jobs)
        assert list(status["state"]) == ["RUNNING", "PENDING", "PENDING"]
    finally:
        hl.cancel(jobs)
    assert set(hl.wait_jobs(jobs, timeout_s=DEADLINE_S, poll_s=0.5)["state"]) == {"CANCELLED"}
