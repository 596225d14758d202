"""The cluster path: N queue workers started as one Slurm array job drain a shared queue."""

from __future__ import annotations

from pathlib import Path

import pytest

import hyperlab as hl
from hyperlab.execute.launchers.workers import worker_command
from hyperlab.testing.slurm import SlurmCluster

DEADLINE_S = 120.0


def test_worker_command_quotes_the_store_url() -> None:
    command = worker_command("sqlite:////it's/x.db", studies=["a b"], idle_exit_s=5, python="py")
    assert command == (
        "py -m hyperlab --store 'sqlite:////it'\"'\"'s/x.db' worker --study 'a b' --idle-exit-s 5"
    )


def _drain(launcher: str, tmp_path: Path, store_url: str) -> None:
    study = hl.study("drain", store=store_url)
    log = tmp_path / "ran.log"
    result = study.enqueue([{"x": i} for i in range(6)], command=f"echo {{x}} >> {log}")
    assert len(result.run_ids) == 6
    jobs = hl.launch_workers(
        2, launcher=launcher, studies=["drain"], work_dir=tmp_path / "w", idle_exit_s=3,
        store=store_url,
    )  # fmt: skip
    assert len(jobs) == 2
    done = hl.wait_jobs(jobs, timeout_s=DEADLINE_S, poll_s=0.5)
    assert set(done["state"]) == {"COMPLETED"}, hl.job_output(jobs).to_dict("records")
    assert sorted(log.read_text().split()) == [str(i) for i in range(6)]
    states = study.runs()["state"].tolist()
    assert states == ["completed"] * 6


def test_local_workers_drain_the_queue(tmp_path: Path, sqlite_url: str) -> None:
    _drain("local", tmp_path, sqlite_url)


@pytest.mark.slurm
def test_slurm_array_of_workers_drains_the_queue(
    slurm: SlurmCluster, tmp_path: Path, sqlite_url: str
) -> None:
    _drain("slurm", tmp_path, sqlite_url)
