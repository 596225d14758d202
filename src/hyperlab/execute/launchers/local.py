"""The local launcher: a detached process pool on this machine.

``submit`` writes a manifest and starts ``python -m hyperlab.execute.launchers.local MANIFEST`` in
its own session, so jobs keep running after the caller (a notebook, the CLI) exits. The pool runs
at most ``max_parallel`` jobs at once (default: all), each job in its own process group so that
cancelling kills the whole job. State lives in files in each job directory, so any process can
poll or cancel: ``.hyperlab-pid`` (running), ``.hyperlab-exit`` (finished, written by the
wrapper), ``.hyperlab-cancel`` and ``.hyperlab-timeout``.

Job ids are ``POOLPID_INDEX``.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from hyperlab.errors import LauncherError
from hyperlab.execute.launchers.base import (
    CANCEL_FILE,
    SCHEDULER_OUT,
    WRAPPER_NAME,
    JobRef,
    JobSpec,
    JobState,
    JobStatus,
    check_resources,
    exit_file_status,
    mark_cancelled,
    parse_minutes,
    positive_int,
    read_exit_code,
)

PID_FILE = ".hyperlab-pid"
POOL_FILE = ".hyperlab-pool"
TIMEOUT_FILE = ".hyperlab-timeout"
LOCAL_RESOURCES: dict[str, str] = {"time": "kill the job after this long; minutes or H:MM:SS"}
KILL_GRACE_S = 10.0


def process_start_time(pid: int) -> str | None:
    """The start time of a live (non-zombie) process, or None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] in {"Z", "X"}:
        return None
    return fields[19]


def _alive(pid_text: str) -> bool:
    parts = pid_text.split()
    if not parts or not parts[0].isdigit():
        return False
    started = process_start_time(int(parts[0]))
    return started is not None and (len(parts) < 2 or parts[1] == started)


class LocalLauncher:
    """Run jobs as processes on this machine.

    Args:
        max_parallel: Default number of jobs running at once (None: all at once).
        python: The interpreter that runs the pool.
    """

    name = "local"
    resources = LOCAL_RESOURCES

    def __init__(self, *, max_parallel: int | None = None, python: str | None = None) -> None:
        self.max_parallel = max_parallel
        self.python = python or sys.executable

    def submit(
        self,
        jobs: Sequence[JobSpec],
        *,
        resources: Mapping[str, Any] | None = None,
        array: bool = False,
        max_parallel: int | None = None,
        batch_dir: Path,
    ) -> list[str]:
        """Start a pool that runs the jobs; returns their ids (``POOLPID_INDEX``)."""
        given = check_resources(resources, LOCAL_RESOURCES, self.name)
        time_s = parse_minutes(given["time"]) * 60.0 if "time" in given else None
        parallel = max_parallel or self.max_parallel or len(jobs)
        manifest = batch_dir / "local-pool.json"
        manifest.write_text(
            json.dumps(
                {
                    "jobs": [str(j.job_dir) for j in jobs],
                    "parallel": positive_int("max_parallel", parallel),
                    "time_s": time_s,
                }
            )
        )
        with open(batch_dir / "local-pool.log", "ab") as log:
            try:
                proc = subprocess.Popen(
                    [self.python, "-m", "hyperlab.execute.launchers.local", str(manifest)],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    cwd=batch_dir,
                )
            except OSError as err:
                raise LauncherError(f"could not start the local job pool: {err}") from err
        _CHILDREN.append(proc)
        started = process_start_time(proc.pid) or ""
        for spec in jobs:
            (spec.job_dir / POOL_FILE).write_text(f"{proc.pid} {started}\n")
        return [f"{proc.pid}_{i}" for i in range(len(jobs))]

    def status(self, jobs: Sequence[JobRef]) -> list[JobStatus]:
        """Each job's state from the files in its directory."""
        _reap()
        host = socket.gethostname()
        return [_status(ref, host) for ref in jobs]

    def cancel(self, jobs: Sequence[JobRef]) -> None:
        """Mark jobs cancelled (pending ones never start) and stop running ones."""
        for ref in mark_cancelled(jobs):
            pid_text = _read(ref.job_dir / PID_FILE)
            if pid_text and _alive(pid_text):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(int(pid_text.split()[0]), signal.SIGTERM)


_CHILDREN: list[subprocess.Popen[bytes]] = []


@atexit.register
def _detach_running_pools() -> None:
    """Pools outlive the process that started them on purpose (jobs keep running when a
    notebook closes); mark them so that ``Popen.__del__`` does not warn at exit. Once this
    process has exited, init reaps them."""
    for proc in _CHILDREN:
        if proc.poll() is None:
            proc.returncode = 0


def _reap() -> None:
    """Collect pools this process started that have ended (no zombies left behind)."""
    for proc in list(_CHILDREN):
        if proc.poll() is not None:
            _CHILDREN.remove(proc)


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def _status(ref: JobRef, host: str) -> JobStatus:
    pid_path = ref.job_dir / PID_FILE
    started = _mtime(pid_path)
    pid_text = _read(pid_path)
    alive = bool(pid_text) and _alive(pid_text or "")
    # Read after the liveness check: a job that ended in between has written its exit file.
    code = read_exit_code(ref.job_dir)
    if code is not None:
        ended = _mtime(ref.job_dir / ".hyperlab-exit")
        runtime = ended - started if started and ended else None
        return exit_file_status(ref, code, node=host, runtime_s=runtime)
    if (ref.job_dir / TIMEOUT_FILE).exists():
        return JobStatus(ref.job_id, JobState.TIMEOUT, node=host, reason="time limit")
    if (ref.job_dir / CANCEL_FILE).exists():
        return JobStatus(ref.job_id, JobState.CANCELLED, node=host if started else None)
    if alive:
        runtime = time.time() - started if started else None
        return JobStatus(ref.job_id, JobState.RUNNING, node=host, runtime_s=runtime)
    pool_text = _read(ref.job_dir / POOL_FILE)
    if pid_text is None and pool_text and _alive(pool_text):
        return JobStatus(ref.job_id, JobState.PENDING, reason="waiting for a free slot")
    return JobStatus(
        ref.job_id, JobState.FAILED, node=host, reason="ended without recording an exit code"
    )


# -- the pool process ---------------------------------------------------------------------
def _run_one(job_dir: Path, time_s: float | None, stopping: threading.Event) -> None:
    if stopping.is_set() or (job_dir / CANCEL_FILE).exists():
        return
    with open(job_dir / SCHEDULER_OUT, "ab") as out:
        proc = subprocess.Popen(
            ["/bin/bash", str(job_dir / WRAPPER_NAME)],
            cwd=job_dir,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    (job_dir / PID_FILE).write_text(f"{proc.pid} {process_start_time(proc.pid) or ''}\n")
    _RUNNING.add(proc)
    try:
        proc.wait(timeout=time_s)
    except subprocess.TimeoutExpired:
        (job_dir / TIMEOUT_FILE).touch()
        _stop(proc)
    finally:
        _RUNNING.discard(proc)


_RUNNING: set[subprocess.Popen[bytes]] = set()


def _stop(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=KILL_GRACE_S)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def run_pool(manifest: Path) -> int:
    """Run the jobs of a manifest written by :meth:`LocalLauncher.submit` (the pool's main)."""
    spec = json.loads(manifest.read_text())
    stopping = threading.Event()

    def on_term(signum: int, _frame: Any) -> None:
        stopping.set()
        for proc in list(_RUNNING):
            for job_dir in [Path(str(proc.args[1])).parent]:  # type: ignore[index]
                (job_dir / CANCEL_FILE).touch()
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, on_term)
    with ThreadPoolExecutor(max_workers=int(spec["parallel"])) as pool:
        futures = [
            pool.submit(_run_one, Path(d), spec.get("time_s"), stopping) for d in spec["jobs"]
        ]
        for future in futures:
            future.result()
    return 0


if __name__ == "__main__":
    sys.exit(run_pool(Path(sys.argv[1])))
