"""The Torque launcher against the PBS-style qsub/qstat/qdel of Debian's slurm-wlm-torque."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import hyperlab as hl
from hyperlab.errors import InvalidValueError
from hyperlab.store import open_store
from hyperlab.testing.services import service_missing
from hyperlab.testing.slurm import SlurmCluster, missing_binaries

pytestmark = pytest.mark.slurm
DEADLINE_S = 120.0


@pytest.fixture
def torque(slurm: SlurmCluster) -> SlurmCluster:
    """The Slurm cluster, once the PBS wrappers are known to be installed."""
    missing = [b for b in missing_binaries(torque=True) if b in {"qsub", "qstat", "qdel"}]
    if missing:
        service_missing(f"{', '.join(missing)} missing (apt-get install slurm-wlm-torque)")
    return slurm


def test_qsub_jobs_complete_or_fail_with_exit_code(
    torque: SlurmCluster, tmp_path: Path, sqlite_url: str
) -> None:
    canary = tmp_path / "canary"
    jobs = hl.submit(
        "echo {v}\nexit {code}\n", "t{code}", [{"code": c, "v": f"$(touch {canary})"} for c in
        (0, 2)], launcher="torque", work_dir=tmp_path / "it's a dir", resources={"time": 5},
        store=sqlite_url,
    )  # fmt: skip
    done = hl.wait_jobs(jobs, timeout_s=DEADLINE_S, poll_s=0.5)
    assert list(done["state"]) == ["COMPLETED", "FAILED"]
    assert list(done["exit_code"]) == [0, 2]
    assert Path(done["stdout"][0]).read_text() == f"$(touch {canary})\n"
    assert not canary.exists()
    runs = open_store(sqlite_url).get_runs([int(r) for r in done["run_id"]])
    assert [r.state for r in runs] == ["completed", "failed"]


def test_qstat_sees_running_and_qdel_cancels(
    torque: SlurmCluster, tmp_path: Path, sqlite_url: str
) -> None:
    started = tmp_path / "started"
    jobs = hl.submit(f"touch {started}\nsleep 600\n", "q{i}", {"i": [0]}, launcher="torque",
                     work_dir=tmp_path / "w", store=sqlite_url)  # fmt: skip
    deadline = time.monotonic() + DEADLINE_S
    while not started.exists():
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.5)
    assert hl.job_status(jobs)["state"][0] == "RUNNING"
    hl.cancel(jobs)
    assert hl.wait_jobs(jobs, timeout_s=DEADLINE_S, poll_s=0.5)["state"][0] == "CANCELLED"


def test_torque_rejects_arrays_and_unknown_resources(tmp_path: Path, sqlite_url: str) -> None:
    with pytest.raises(InvalidValueError, match=r"unknown resource 'partition'.*queue"):
        hl.submit("echo", "j{a}", {"a": [1]}, launcher="torque", work_dir=tmp_path / "w",
                  resources={"partition": "x"}, store=sqlite_url)  # fmt: skip
    assert not (tmp_path / "w").exists()
