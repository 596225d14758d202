"""hl.submit with the local launcher: real processes, tracked runs, output, metrics, cancel."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import hyperlab as hl
from hyperlab.errors import InvalidValueError
from hyperlab.store import open_store

DEADLINE_S = 120.0

TEMPLATE = """\
echo "product quotient" > {job_name}.metrics
python3 -c "print({a} * {b}, {a} / {b})" >> {job_name}.metrics
echo msg: {msg}
echo "to stderr" >&2
exit {code}
"""


def _wait_for(predicate: object, what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        if callable(predicate) and predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_submit_runs_every_point_and_reports_state_exit_code_and_output(
    tmp_path: Path, sqlite_url: str
) -> None:
    space = {"a": [1, 2], "b": [4], "msg": ["hello world"], "code": [0, 3]}
    jobs = hl.submit(TEMPLATE, "job_{a}_{code}", space, work_dir=tmp_path / "w", store=sqlite_url)
    assert list(jobs["job_name"]) == ["job_1_0", "job_1_3", "job_2_0", "job_2_3"]
    assert {"job_id", "array_index", "state", "node", "runtime", "work_dir", "stdout",
            "stderr", "a", "b", "msg", "code"} <= set(jobs.columns)  # fmt: skip
    done = hl.wait_jobs(jobs, timeout_s=DEADLINE_S, poll_s=0.2)
    assert list(done["state"]) == ["COMPLETED", "FAILED", "COMPLETED", "FAILED"]
    assert list(done["exit_code"]) == [0, 3, 0, 3]
    assert Path(done["stdout"][0]).read_text() == "msg: hello world\n"
    output = hl.job_output(jobs, tail=1)
    assert list(output["stderr"]) == ["to stderr"] * 4

    runs = open_store(sqlite_url).get_runs([int(r) for r in done["run_id"]])
    assert [r.state for r in runs] == ["completed", "failed", "completed", "failed"]
    assert runs[0].params == {"a": 1, "b": 4, "msg": "hello world", "code": 0}

    summaries = open_store(sqlite_url).metric_summaries(runs[2].id)
    assert summaries["product"]["final"] == 8  # the last metrics row becomes the run's finals

    metrics = hl.job_metrics(jobs)
    assert list(metrics["product"]) == [4, 4, 8, 8]
    assert metrics["quotient"].tolist() == [0.25, 0.25, 0.5, 0.5]
    assert metrics["metrics_error"].isna().all()


def test_hostile_values_and_paths_with_spaces_and_quotes_never_execute(
    tmp_path: Path, sqlite_url: str
) -> None:
    canary = tmp_path / "canary"
    payloads = [f"x; touch {canary}", f"$(touch {canary})", f"`touch {canary}`",
                f"'; touch {canary}; '"]  # fmt: skip
    work = tmp_path / 'it\'s a "dir" with spaces'
    jobs = hl.submit(
        "printf '%s' {v}\n", "j{i}", [{"i": i, "v": p} for i, p in enumerate(payloads)],
        work_dir=work, store=sqlite_url,
    )  # fmt: skip
    done = hl.wait_jobs(jobs, timeout_s=DEADLINE_S, poll_s=0.2)
    assert set(done["state"]) == {"COMPLETED"}
    assert [Path(p).read_text() for p in done["stdout"]] == payloads
    assert not canary.exists()


def test_names_are_checked_before_anything_is_written(tmp_path: Path, sqlite_url: str) -> None:
    work = tmp_path / "w"
    with pytest.raises(InvalidValueError, match="not unique: job_1 repeat"):
        hl.submit("echo {b}", "job_{a}", {"a": [1], "b": [1, 2]}, work_dir=work, store=sqlite_url)
    with pytest.raises(InvalidValueError, match="letters, digits"):
        hl.submit("echo", "job {a}", {"a": [1]}, work_dir=work, store=sqlite_url)
    with pytest.raises(InvalidValueError, match=r"unknown resource 'gpus'.*valid: time"):
        hl.submit("echo", "j{a}", {"a": [1]}, work_dir=work, resources={"gpus": 1},
                  store=sqlite_url)  # fmt: skip
    with pytest.raises(InvalidValueError, match="unknown launcher 'pbs'"):
        hl.submit("echo", "j{a}", {"a": [1]}, work_dir=work, launcher="pbs", store=sqlite_url)
    assert not work.exists()


def test_existing_job_directories_are_not_overwritten(tmp_path: Path, sqlite_url: str) -> None:
    (tmp_path / "job_1").mkdir()
    with pytest.raises(InvalidValueError, match=r"already exist.*job_1"):
        hl.submit("echo", "job_{a}", {"a": [1]}, work_dir=tmp_path, store=sqlite_url)


def test_template_file_with_windows_line_ends(tmp_path: Path, sqlite_url: str) -> None:
    template = tmp_path / "job.sh"
    template.write_bytes(b"#!/bin/bash\r\necho value={a}\r\n")
    jobs = hl.submit(template, "t{a}", {"a": [5]}, work_dir=tmp_path / "w", store=sqlite_url)
    done = hl.wait_jobs(jobs, timeout_s=DEADLINE_S, poll_s=0.2)
    assert done["state"][0] == "COMPLETED"
    assert Path(done["stdout"][0]).read_text() == "value=5\n"


def test_job_sees_its_run_and_metrics_missing_are_reported(
    tmp_path: Path, sqlite_url: str
) -> None:
    jobs = hl.submit(
        'echo "$HYPERLAB_RUN_ID $HYPERLAB_STORE"\n', "e{a}", {"a": [1]},
        work_dir=tmp_path / "w", store=sqlite_url,
    )  # fmt: skip
    done = hl.wait_jobs(jobs, timeout_s=DEADLINE_S, poll_s=0.2)
    assert Path(done["stdout"][0]).read_text().split() == [str(done["run_id"][0]), sqlite_url]
    metrics = hl.job_metrics(jobs)
    assert len(metrics) == 1
    assert metrics["metrics_error"][0] == "no metrics file"


def test_job_runs_get_their_host_and_times_from_the_scheduler(
    tmp_path: Path, sqlite_url: str
) -> None:
    jobs = hl.submit("sleep 0.2\n", "h{a}", {"a": [1]}, work_dir=tmp_path / "w", store=sqlite_url)
    done = hl.wait_jobs(jobs, timeout_s=DEADLINE_S, poll_s=0.2)
    run = open_store(sqlite_url).get_run(int(done["run_id"][0]))
    assert run.state == "completed"
    assert done["node"][0]
    assert run.host == done["node"][0]
    assert run.started_at is not None and run.ended_at is not None
    assert run.ended_at >= run.started_at


def test_a_metrics_table_with_its_own_step_column_keeps_its_steps(
    tmp_path: Path, sqlite_url: str
) -> None:
    jobs = hl.submit(
        "printf 'step loss\\n0 0.5\\n5 {a}\\n' > {job_name}.metrics\n", "m{a}", {"a": [0.25]},
        work_dir=tmp_path / "w", store=sqlite_url,
    )  # fmt: skip
    hl.wait_jobs(jobs, timeout_s=DEADLINE_S, poll_s=0.2)
    metrics = hl.job_metrics(jobs)
    assert metrics["step"].tolist() == [0, 5]
    assert metrics["loss"].tolist() == [0.5, 0.25]
    assert metrics["metrics_error"].isna().all()


def test_cancel_stops_running_and_pending_jobs(tmp_path: Path, sqlite_url: str) -> None:
    started = tmp_path / "started"
    jobs = hl.submit(
        f"touch {started}\nsleep 600\n", "s{i}", {"i": [0, 1]}, work_dir=tmp_path / "w",
        max_parallel=1, store=sqlite_url,
    )  # fmt: skip
    _wait_for(started.exists, "the first job to start")
    status = hl.job_status(jobs)
    assert list(status["state"]) == ["RUNNING", "PENDING"]
    cancelled = hl.cancel(jobs)
    assert list(cancelled["state"]) == ["CANCELLED", "CANCELLED"]
    runs = open_store(sqlite_url).get_runs([int(r) for r in cancelled["run_id"]])
    assert {r.state for r in runs} == {"interrupted"}
    first_dir = Path(cancelled["work_dir"][0])

    def killed() -> bool:
        from hyperlab.execute.launchers.local import PID_FILE, _alive

        return not _alive((first_dir / PID_FILE).read_text())

    _wait_for(killed, "the running job to be killed")


def test_max_parallel_runs_jobs_one_at_a_time(tmp_path: Path, sqlite_url: str) -> None:
    log = tmp_path / "log"
    template = f"echo start {{i}} >> {log}\nsleep 0.3\necho end {{i}} >> {log}\n"
    jobs = hl.submit(template, "p{i}", {"i": [0, 1, 2]}, work_dir=tmp_path / "w",
                     max_parallel=1, store=sqlite_url)  # fmt: skip
    hl.wait_jobs(jobs, timeout_s=DEADLINE_S, poll_s=0.2)
    lines = log.read_text().split("\n")[:-1]
    assert lines == ["start 0", "end 0", "start 1", "end 1", "start 2", "end 2"]
