"""``hyperlab submit`` and ``hyperlab jobs ls|status|cancel``, and the jobs table's migration."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from hyperlab.cli.main import cli
from hyperlab.errors import SchemaOutdatedError
from hyperlab.store import forget_open_stores, migrate, open_store

DEADLINE_S = 120.0


def _invoke(store_url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--store", store_url, *args], env={"COLUMNS": "200"})


def test_submit_then_status_until_done_then_ls_as_json_and_csv(
    tmp_path: Path, store_url: str
) -> None:
    template = tmp_path / "job.sh"
    template.write_text("echo lr={lr}\nexit {code}\n")
    result = _invoke(
        store_url, "submit", str(template), "--name", "j_{code}", "--space",
        "lr=[0.1] code=[0,1]", "--work-dir", str(tmp_path / "w"), "--study", "cli",
        "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    submitted = json.loads(result.output)
    assert [j["job_name"] for j in submitted] == ["j_0", "j_1"]
    assert submitted[0]["lr"] == 0.1

    deadline = time.monotonic() + DEADLINE_S
    while True:
        status = _invoke(store_url, "jobs", "status", "cli", "--format", "json")
        assert status.exit_code == 0, status.output
        states = [j["state"] for j in json.loads(status.output)]
        if states == ["COMPLETED", "FAILED"]:
            break
        assert time.monotonic() < deadline, states
        time.sleep(0.3)

    listed = _invoke(store_url, "jobs", "ls", "--state", "failed", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(listed.output)))
    assert [(r["job_name"], r["exit_code"]) for r in rows] == [("j_1", "1")]
    table = _invoke(store_url, "jobs", "ls")
    assert "COMPLETED" in table.output
    assert "j_0" in table.output


def test_output_and_metrics_from_the_cli(tmp_path: Path, sqlite_url: str) -> None:
    template = tmp_path / "job.sh"
    template.write_text(
        "echo training lr={lr}\necho warn >&2\n"
        "printf 'epoch loss\\n1 0.5\\n2 {lr}\\n' > {job_name}.metrics\n"
    )
    result = _invoke(sqlite_url, "submit", str(template), "-n", "o{lr}", "--space",
                     "lr=[0.25]", "-w", str(tmp_path / "w"), "-s", "outs")  # fmt: skip
    assert result.exit_code == 0, result.output
    deadline = time.monotonic() + DEADLINE_S
    while "COMPLETED" not in _invoke(sqlite_url, "jobs", "status", "outs").output:
        assert time.monotonic() < deadline
        time.sleep(0.3)
    output = _invoke(sqlite_url, "jobs", "output", "outs", "--tail", "5")
    assert output.exit_code == 0, output.output
    assert "== o0.25 (COMPLETED)" in output.output
    assert "training lr=0.25" in output.output
    assert "warn" in output.output
    metrics = _invoke(sqlite_url, "jobs", "metrics", "outs", "--format", "json")
    assert metrics.exit_code == 0, metrics.output
    rows = json.loads(metrics.output)
    assert [(r["epoch"], r["loss"], r["lr"]) for r in rows] == [(1, 0.5, 0.25), (2, 0.25, 0.25)]


def test_cancel_from_the_cli(tmp_path: Path, sqlite_url: str) -> None:
    template = tmp_path / "job.sh"
    template.write_text("sleep 600\n")
    result = _invoke(sqlite_url, "submit", str(template), "-n", "s{i}", "--space", "i=[0]",
                     "-w", str(tmp_path / "w"), "-s", "sleepy")  # fmt: skip
    assert result.exit_code == 0, result.output
    cancelled = _invoke(sqlite_url, "jobs", "cancel", "sleepy", "--yes", "--format", "json")
    assert cancelled.exit_code == 0, cancelled.output
    assert [j["state"] for j in json.loads(cancelled.output)] == ["CANCELLED"]


def test_cli_errors_are_clear(tmp_path: Path, sqlite_url: str) -> None:
    missing = _invoke(sqlite_url, "submit", str(tmp_path / "nope.sh"), "-n", "x", "--space",
                      "a=[1]")  # fmt: skip
    assert missing.exit_code == 1
    assert "template file" in missing.output
    template = tmp_path / "job.sh"
    template.write_text("echo\n")
    bad = _invoke(sqlite_url, "submit", str(template), "-n", "x{a}", "--space", "a=[1]",
                  "-r", "cores=2", "-w", str(tmp_path / "w"))  # fmt: skip
    assert bad.exit_code == 1
    assert "unknown resource 'cores'" in bad.output
    unknown = _invoke(sqlite_url, "jobs", "ls", "nostudy")
    assert unknown.exit_code == 1
    assert "no study named 'nostudy'" in unknown.output


def test_a_store_at_revision_0001_must_be_upgraded_for_jobs(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sa.create_engine(url)
    migrate.upgrade(engine, "0001")
    forget_open_stores()
    with pytest.raises(SchemaOutdatedError, match="hyperlab db upgrade"):
        open_store(url)
    migrate.upgrade(engine, "head")
    engine.dispose()
    store = open_store(url)
    with store.read() as conn:
        assert sa.inspect(conn).has_table("jobs")
    forget_open_stores()
