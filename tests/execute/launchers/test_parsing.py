"""Reading what Slurm and Torque print: ids, states, exit codes, array ranges."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hyperlab.errors import LauncherError
from hyperlab.execute.launchers.base import JobState
from hyperlab.execute.launchers.slurm import (
    expand_array_id,
    map_state,
    parse_duration_s,
    parse_exit_code,
    parse_job_id,
    parse_sacct,
    parse_scontrol,
    parse_squeue,
)
from hyperlab.execute.launchers.torque import parse_qstat_full, status_from_qstat


@pytest.mark.parametrize(
    ("raw", "state"),
    [
        ("PENDING", JobState.PENDING),
        ("RUNNING", JobState.RUNNING),
        ("COMPLETING", JobState.RUNNING),
        ("COMPLETED", JobState.COMPLETED),
        ("FAILED", JobState.FAILED),
        ("OUT_OF_MEMORY", JobState.FAILED),
        ("NODE_FAIL", JobState.FAILED),
        ("CANCELLED by 0", JobState.CANCELLED),
        ("CANCELLED+", JobState.CANCELLED),
        ("TIMEOUT", JobState.TIMEOUT),
        ("WHATEVER", JobState.UNKNOWN),
    ],
)
def test_slurm_states_map_to_common_states(raw: str, state: JobState) -> None:
    assert map_state(raw) is state


def test_expand_array_ids() -> None:
    assert expand_array_id("123_4") == ["123_4"]
    assert expand_array_id("123") == ["123"]
    assert expand_array_id("123_[5-7%2]") == ["123_5", "123_6", "123_7"]
    assert expand_array_id("9_[1,3-4]") == ["9_1", "9_3", "9_4"]
    assert expand_array_id("9_[0-6:3]") == ["9_0", "9_3", "9_6"]


@given(lo=st.integers(0, 500), n=st.integers(1, 200), limit=st.integers(1, 9))
def test_expanded_range_has_every_task_once(lo: int, n: int, limit: int) -> None:
    ids = expand_array_id(f"77_[{lo}-{lo + n - 1}%{limit}]")
    assert ids == [f"77_{i}" for i in range(lo, lo + n)]


def test_squeue_lines_with_reasons_holding_spaces() -> None:
    text = (
        "123_4|RUNNING|localhost|1:05|None\n"
        "123_[5-6%2]|PENDING||0:00|JobArrayTaskLimit\n"
        "124|PENDING||0:00|ReqNodeNotAvail, UnavailableNodes:node[1-2]\n"
    )
    found = parse_squeue(text)
    assert found["123_4"].state is JobState.RUNNING
    assert found["123_4"].node == "localhost"
    assert found["123_4"].runtime_s == 65
    assert found["123_6"].state is JobState.PENDING
    assert found["123_6"].reason == "JobArrayTaskLimit"
    assert found["124"].reason == "ReqNodeNotAvail, UnavailableNodes:node[1-2]"


def test_sacct_lines_give_exit_codes_and_cancellers() -> None:
    text = (
        "10|COMPLETED|0:0|localhost|3|None\n"
        "11|FAILED|3:0|localhost|1|NonZeroExitCode\n"
        "12|CANCELLED by 0|0:15|localhost|7|None\n"
        "13_[2-3]|PENDING|0:0|None assigned|0|JobArrayTaskLimit\n"
    )
    found = parse_sacct(text)
    assert (found["10"].state, found["10"].exit_code) == (JobState.COMPLETED, 0)
    assert (found["11"].state, found["11"].exit_code) == (JobState.FAILED, 3)
    assert found["12"].state is JobState.CANCELLED
    assert found["12"].raw_state == "CANCELLED by 0"
    assert found["13_3"].node is None
    assert found["13_3"].exit_code is None


def test_scontrol_one_line_per_job() -> None:
    text = (
        "JobId=15 JobName=a UserId=root(0) JobState=FAILED Reason=NonZeroExitCode "
        "Dependency=(null) ExitCode=4:0 RunTime=00:00:02 NodeList=localhost\n"
        "JobId=17 ArrayJobId=16 ArrayTaskId=1 JobName=b JobState=COMPLETED Reason=None "
        "ExitCode=0:0 RunTime=00:01:00 NodeList=localhost\n"
    )
    found = parse_scontrol(text)
    assert (found["15"].state, found["15"].exit_code, found["15"].runtime_s) == (
        JobState.FAILED,
        4,
        2.0,
    )
    assert found["16_1"].state is JobState.COMPLETED


def test_exit_codes_and_durations() -> None:
    assert parse_exit_code("3:0") == 3
    assert parse_exit_code("0:9") == 137
    assert parse_exit_code("junk") is None
    assert parse_duration_s("1-00:00:01") == 86401
    assert parse_duration_s("2:03") == 123
    assert parse_duration_s("INVALID") is None


def test_sbatch_ids() -> None:
    assert parse_job_id("123\n") == "123"
    assert parse_job_id("123;cluster\n") == "123"
    assert parse_job_id("Submitted batch job 99") == "99"
    with pytest.raises(LauncherError, match="job id"):
        parse_job_id("sbatch: error: something")


def test_qstat_full_blocks_and_states() -> None:
    text = (
        "Job Id: 5.server\n\tJob_Name = a\n\tjob_state = R\n\texec_host = node1/0\n"
        "\tresources_used.walltime = 00:01:02\n\n"
        "Job Id: 6.server\n\tjob_state = C\n\texit_status = 2\n\tVariable_List = A=1,\n"
        "\tB=2\n\n"
        "Job Id: 7\n\tjob_state = C\n"
    )
    jobs = parse_qstat_full(text)
    assert jobs["6.server"]["Variable_List"] == "A=1,B=2"
    running = status_from_qstat("5.server", jobs["5.server"])
    assert (running.state, running.node, running.runtime_s) == (JobState.RUNNING, "node1", 62)
    failed = status_from_qstat("6.server", jobs["6.server"])
    assert (failed.state, failed.exit_code) == (JobState.FAILED, 2)
    assert status_from_qstat("7", jobs["7"]).state is JobState.UNKNOWN
    assert status_from_qstat("8", {"job_state": "Q"}).state is JobState.PENDING
