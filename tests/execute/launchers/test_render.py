"""Rendered wrapper scripts and scheduler options (golden files), and resource checks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hyperlab.errors import InvalidValueError
from hyperlab.execute.launchers.base import JobSpec, render_array_wrapper, render_wrapper
from hyperlab.execute.launchers.local import LocalLauncher
from hyperlab.execute.launchers.slurm import ARRAY_INDEX_VARS, SlurmLauncher
from hyperlab.execute.launchers.torque import TorqueLauncher

GOLDEN = Path(__file__).parent / "golden"
ENV = {"HYPERLAB_RUN_ID": "7", "HYPERLAB_STORE": "sqlite:////data/it's here.db"}


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("HYPERLAB_UPDATE_GOLDEN") == "1":
        path.write_text(text)
    assert text == path.read_text(), f"{name} changed; HYPERLAB_UPDATE_GOLDEN=1 rewrites it"


def test_wrapper_script_golden() -> None:
    spec = JobSpec("job_1", Path("/work/my jobs/job_1"), ENV)
    _golden("wrapper.sh", render_wrapper(spec))


def test_array_wrapper_script_golden() -> None:
    specs = [JobSpec(f"j{i}", Path(f"/w/it's {i}"), {"HYPERLAB_RUN_ID": str(i)}) for i in range(2)]
    _golden("array.sh", render_array_wrapper(specs, ARRAY_INDEX_VARS))


def test_slurm_options_from_resources() -> None:
    options = SlurmLauncher().sbatch_options(
        {"time": "1:30:00", "cpus": 4, "mem": "8G", "gpus": 1, "partition": "gpu"}
    )
    assert options == ["--time=90", "--cpus-per-task=4", "--mem=8G", "--gres=gpu:1",
                       "--partition=gpu"]  # fmt: skip


def test_torque_options_from_resources() -> None:
    options = TorqueLauncher().qsub_options({"time": 90, "cpus": 2, "mem": "4gb", "queue": "q"})
    assert options == ["-l", "walltime=01:30:00", "-l", "nodes=1:ppn=2", "-l", "mem=4gb",
                       "-q", "q"]  # fmt: skip


def test_unknown_resources_fail_with_the_valid_names() -> None:
    from hyperlab.execute.launchers.base import check_resources

    with pytest.raises(InvalidValueError, match=r"unknown resource 'gpu_count'.*partition"):
        SlurmLauncher().sbatch_options({"gpu_count": 1})
    with pytest.raises(InvalidValueError, match=r"unknown resource 'gpu_count'.*queue"):
        TorqueLauncher().qsub_options({"gpu_count": 1})
    with pytest.raises(InvalidValueError, match=r"unknown resource 'gpu_count'.*time"):
        check_resources({"gpu_count": 1}, LocalLauncher.resources, "local")


def test_bad_resource_values_are_rejected() -> None:
    with pytest.raises(InvalidValueError, match="time"):
        SlurmLauncher().sbatch_options({"time": "soon"})
    with pytest.raises(InvalidValueError, match="positive integer"):
        SlurmLauncher().sbatch_options({"cpus": 0})
    with pytest.raises(InvalidValueError, match="not allowed"):
        TorqueLauncher().qsub_options({"mem": "4gb; touch x"})
