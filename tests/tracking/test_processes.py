"""Many processes, crashes and signals: the store stays whole and every run gets a true state."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import hyperlab as hl
from hyperlab.store import Store

LOGGER = textwrap.dedent(
    """
    import sys, time
    import hyperlab as hl
    worker, points = int(sys.argv[1]), int(sys.argv[2])
    study = hl.study("concurrent", directions={"loss": "min"})
    with study.start_run(params={"worker": worker}) as run:
        for i in range(points):
            run.log(step=i, loss=1.0 / (i + 1), acc=i / points)
    """
)


def _spawn(code: str, store_url: str, *args: str, **kw: object) -> subprocess.Popen[str]:
    env = {**os.environ, "HYPERLAB_STORE": store_url, "HYPERLAB_CAPTURE_GIT": "0"}
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.slow
def test_eight_processes_log_fifty_thousand_points_each(store: Store, store_url: str) -> None:
    points = 50_000
    procs = [_spawn(LOGGER, store_url, str(w), str(points)) for w in range(8)]
    for proc in procs:
        _out, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err
    frame = hl.query(study="concurrent", store=store)
    assert len(frame) == 8
    assert set(frame["state"]) == {"completed"}
    assert sorted(frame["params.worker"].tolist()) == list(range(8))
    history = hl.history(frame, store=store)
    assert len(history) == 8 * points * 2
    counts = history.groupby(["run_id", "key"]).size()
    assert set(counts) == {points}
    assert store.integrity_check() == []


def test_concurrent_get_or_create_gives_one_study(store: Store, store_url: str) -> None:
    code = "import hyperlab as hl; print(hl.study('race', version='1').id)"
    procs = [_spawn(code, store_url) for _ in range(6)]
    ids = set()
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        ids.add(out.strip())
    assert len(ids) == 1
    assert len([s for s in store.list_studies() if s.name == "race"]) == 1


KILLABLE = textwrap.dedent(
    """
    import sys, time
    import hyperlab as hl
    with hl.start_run("killed", params={"x": 1}) as run:
        print(run.id, flush=True)
        i = 0
        while True:
            run.log(step=i, loss=float(i))
            i += 1
            if i % 1000 == 0:
                time.sleep(0.001)
    """
)


def test_a_sigkilled_process_leaves_a_whole_store_and_a_lost_run(
    store: Store, store_url: str
) -> None:
    proc = _spawn(KILLABLE, store_url)
    assert proc.stdout is not None
    run_id = int(proc.stdout.readline())
    time.sleep(1.0)  # several flushes happen meanwhile
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert store.integrity_check() == []
    frame = hl.query(study="killed", store=store)
    assert frame.loc[run_id, "state"] == "lost"
    history = hl.history(run_id, store=store)
    steps = history["step"].tolist()
    assert len(steps) > 0
    assert steps == list(range(len(steps)))  # flushed points are all there, in order


SIGTERMED = textwrap.dedent(
    """
    import time
    import hyperlab as hl
    with hl.start_run("term") as run:
        print(run.id, flush=True)
        while True:
            run.log(loss=1.0)
            time.sleep(0.01)
    """
)


def test_sigterm_marks_the_run_interrupted(store: Store, store_url: str) -> None:
    proc = _spawn(SIGTERMED, store_url)
    assert proc.stdout is not None
    run_id = int(proc.stdout.readline())
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=30)
    assert proc.returncode != 0
    record = store.get_run(run_id)
    assert record.state == "interrupted"
    assert record.error is not None and "SIGTERM" in record.error
    assert store.metric_summaries(run_id)["loss"]["count"] > 0


def test_ctrl_c_marks_the_run_interrupted(store: Store, store_url: str) -> None:
    proc = _spawn(SIGTERMED, store_url)
    assert proc.stdout is not None
    run_id = int(proc.stdout.readline())
    proc.send_signal(signal.SIGINT)  # what Ctrl-C in a terminal sends
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode != 0
    record = store.get_run(run_id)
    assert record.state == "interrupted", err
    assert "KeyboardInterrupt" in (record.error or "")


UNCLOSED = textwrap.dedent(
    """
    import sys
    import hyperlab as hl
    run = hl.start_run("unclosed", params={"mode": sys.argv[1]})
    print(run.id, flush=True)
    run.log(loss=0.5)
    if sys.argv[1] == "crash":
        raise ValueError("bad batch")
    """
)


@pytest.mark.parametrize(("mode", "state"), [("ok", "completed"), ("crash", "failed")])
def test_a_run_left_open_gets_its_state_at_exit(
    store: Store, store_url: str, mode: str, state: str
) -> None:
    proc = _spawn(UNCLOSED, store_url, mode)
    out, err = proc.communicate(timeout=60)
    run_id = int(out.split()[0])
    record = store.get_run(run_id)
    assert record.state == state, err
    if mode == "crash":
        assert record.error is not None and "ValueError: bad batch" in record.error
    assert store.metric_summaries(run_id)["loss"]["count"] == 1


def test_git_commit_branch_and_dirty_diff_are_captured(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    (repo / "train.py").write_text("print(1)\n")
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "init"], check=True)
    (repo / "train.py").write_text("print(2)\n")
    monkeypatch.chdir(repo)
    monkeypatch.setenv("HYPERLAB_CAPTURE_GIT", "1")
    with hl.start_run("git", store=store) as run:
        pass
    record = store.get_run(run.id)
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True)
    assert record.git_commit == head.stdout.strip()
    assert record.git_branch == "main"
    assert record.git_dirty is True
    assert "print(2)" in (run.dir / "git.diff").read_text()
