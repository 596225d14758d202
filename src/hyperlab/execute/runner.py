"""Running a command as a tracked run: output captured and shown live, metrics read, state set.

The child gets ``HYPERLAB_RUN_ID``, ``HYPERLAB_RUN_DIR``, ``HYPERLAB_STORE`` and
``HYPERLAB_METRICS`` (a JSON-lines file it may append to) in its environment; inside it,
``hl.current_run()`` attaches to the same run. Its stdout and stderr are written to
``stdout.log`` / ``stderr.log`` in the run directory and echoed as they come. The exit code
decides the state: 0 completed; killed by SIGTERM/SIGINT (or we were) interrupted; else failed.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shlex
import signal
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from hyperlab.errors import ExecutionError
from hyperlab.execute import metrics_io
from hyperlab.store.records import RunState
from hyperlab.tracking.run import Run, RunInterrupted

STDOUT_NAME = "stdout.log"
STDERR_NAME = "stderr.log"
METRICS_NAME = "metrics.jsonl"
STOP_GRACE_S = 30.0
"""How long a command gets to exit after SIGTERM before it is killed."""
ERROR_TAIL_LINES = 40
_POLL_S = 0.2


@dataclass(frozen=True)
class CommandResult:
    """How a tracked command ended."""

    run_id: int
    state: RunState
    exit_code: int | None

    @property
    def shell_exit_code(self) -> int:
        """The exit status to pass on (128 + signal for a command killed by a signal)."""
        if self.exit_code is None:
            return 1
        return 128 - self.exit_code if self.exit_code < 0 else self.exit_code


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Ask Linux to SIGTERM the child when the process that started it dies (a SIGKILLed
    worker leaves no orphan command behind; a shell's own children are not covered)."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)


class _Stream(threading.Thread):
    """Copies one pipe of the child to a log file and to our own stream, line by line."""

    def __init__(self, pipe: IO[bytes], path: Path, echo: IO[str] | None, run: Run | None):
        super().__init__(name=f"hyperlab-{path.stem}", daemon=True)
        self.pipe = pipe
        self.path = path
        self.echo = echo
        self.run_handle = run
        self.tail: deque[str] = deque(maxlen=ERROR_TAIL_LINES)

    def run(self) -> None:
        with self.path.open("ab") as out:
            for raw in iter(self.pipe.readline, b""):
                out.write(raw)
                out.flush()
                text = raw.decode("utf-8", errors="replace")
                self.tail.append(text)
                if self.echo is not None:
                    with contextlib.suppress(Exception):
                        self.echo.write(text)
                        self.echo.flush()
                if self.run_handle is not None:
                    row = metrics_io.parse_json_line(text)
                    if row is not None:
                        self.run_handle.log(step=row.step, **row.values)
        self.pipe.close()


class _MetricsFileTail(threading.Thread):
    """Feeds lines appended to the ``HYPERLAB_METRICS`` file into the run while it runs."""

    def __init__(self, path: Path, run: Run) -> None:
        super().__init__(name="hyperlab-metrics-file", daemon=True)
        self.tail = metrics_io.JsonLinesTail(path)
        self.run_handle = run
        self.done = threading.Event()

    def _feed(self, final: bool) -> None:
        for row in self.tail.read_new(final=final):
            self.run_handle.log(step=row.step, **row.values)

    def run(self) -> None:
        while not self.done.wait(_POLL_S):
            self._feed(final=False)
        self._feed(final=True)


def child_env(run: Run, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a tracked command."""
    env = dict(os.environ)
    env.update(extra or {})
    env.update(
        HYPERLAB_RUN_ID=str(run.id),
        HYPERLAB_RUN_DIR=str(run.dir),
        HYPERLAB_STORE=run.study.store.url,
        HYPERLAB_METRICS=str(run.dir / METRICS_NAME),
        PYTHONUNBUFFERED="1",
    )
    return env


def execute_command(
    command: Sequence[str] | str,
    run: Run,
    *,
    cwd: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    echo: bool = True,
    stop: threading.Event | None = None,
) -> CommandResult:
    """Run ``command`` as the body of ``run`` and finish the run by its exit code.

    Args:
        command: An argument list (run directly) or a string (run by ``/bin/sh -c``; quote
            values with :func:`shlex.quote`, as command templates do).
        run: The run to record into; it is finished here.
        cwd: Working directory of the command (default: ours).
        env: Extra environment variables.
        echo: Also show the command's output on our stdout/stderr.
        stop: When set (e.g. a lost lease), the command is stopped and the run interrupted.

    Returns:
        The final state and the exit code.
    """
    argv = ["/bin/sh", "-c", command] if isinstance(command, str) else list(command)
    if not argv:
        raise ExecutionError("no command given; e.g. hyperlab run -- python train.py --lr 0.1")
    run_dir = run.dir
    (run_dir / METRICS_NAME).touch()
    try:
        proc = subprocess.Popen(
            argv,
            cwd=None if cwd is None else str(cwd),
            env=child_env(run, env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            # Its own process group: signals we pass on reach a shell's children too.
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
    except OSError as exc:
        message = f"cannot start command {shlex.join(argv)!r}: {exc}"
        run.finish(RunState.FAILED, error=message, wait=True)
        raise ExecutionError(message) from exc
    assert proc.stdout is not None
    assert proc.stderr is not None
    out = _Stream(proc.stdout, run_dir / STDOUT_NAME, sys.stdout if echo else None, run)
    err = _Stream(proc.stderr, run_dir / STDERR_NAME, sys.stderr if echo else None, None)
    tail = _MetricsFileTail(run_dir / METRICS_NAME, run)
    for thread in (out, err, tail):
        thread.start()
    interrupted = _wait(proc, stop)
    for thread in (out, err):
        thread.join()
    tail.done.set()
    tail.join()
    for row in metrics_io.read_metrics_tables(run_dir):
        run.log(step=row.step, **row.values)
    code = proc.returncode
    killed = code in (-signal.SIGTERM, -signal.SIGINT, 128 + signal.SIGTERM, 130)
    state, error = _outcome(code, interrupted or killed)
    if state is RunState.FAILED:
        error = (error or "") + "".join(err.tail)
    run.finish(state, error=error, wait=True)
    return CommandResult(run.id, state, code)


def _outcome(code: int, interrupted: bool) -> tuple[RunState, str | None]:
    if code == 0 and not interrupted:
        return RunState.COMPLETED, None
    if interrupted:
        return RunState.INTERRUPTED, f"interrupted; the command exited with code {code}"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = str(-code)
        return RunState.FAILED, f"the command was killed by signal {name}\n"
    return RunState.FAILED, f"the command exited with code {code}\n"


def _wait(proc: subprocess.Popen[bytes], stop: threading.Event | None) -> bool:
    """Wait for the command; on SIGTERM/Ctrl-C here or ``stop``, stop it. True if interrupted."""
    try:
        while True:
            try:
                proc.wait(timeout=_POLL_S)
                return False
            except subprocess.TimeoutExpired:
                if stop is not None and stop.is_set():
                    _terminate(proc, signal.SIGTERM)
                    return True
    except (RunInterrupted, KeyboardInterrupt) as exc:
        signum = exc.signum if isinstance(exc, RunInterrupted) else signal.SIGINT
        _terminate(proc, signal.Signals(signum))
        return True


def _terminate(proc: subprocess.Popen[bytes], signum: signal.Signals) -> None:
    """Pass a signal on to the command, then kill it if it does not exit in time."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signum)
    try:
        _wait_quietly(proc, STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        _wait_quietly(proc, None)


def _wait_quietly(proc: subprocess.Popen[bytes], timeout: float | None) -> None:
    """Wait for the child even if more signals arrive meanwhile."""
    while True:
        try:
            proc.wait(timeout=timeout)
            return
        except (RunInterrupted, KeyboardInterrupt):
            continue


def default_study_name(argv: Sequence[str]) -> str:
    """A study name from a command: the script's stem (``python train.py`` -> ``train``)."""
    for token in argv:
        if token.endswith(".py"):
            return Path(token).stem
    return Path(argv[0]).name if argv else "default"


def track_command(
    argv: Sequence[str],
    *,
    study: str | None = None,
    params: Mapping[str, Any] | None = None,
    store: Any = None,
    tags: Sequence[str] = (),
    name: str | None = None,
    cwd: str | Path | None = None,
    echo: bool = True,
) -> CommandResult:
    """Track a command as a new run: ``hyperlab run -- python train.py --lr 0.1``.

    Args:
        argv: The command and its arguments (run directly, not through a shell).
        study: Study name (default: the script's stem, e.g. ``train``).
        params: Params that win over those read from the arguments (``--set``).
        store: A store or URL (default store when None).
        tags: Tags of the new run.
        name: A human name for the run.
        cwd: Working directory of the command.
        echo: Show the command's output live.

    Returns:
        The run id, its final state and the command's exit code.
    """
    from hyperlab.execute.argv_params import params_from_argv
    from hyperlab.tracking.study import study as get_study

    if not argv:
        raise ExecutionError("no command given; e.g. hyperlab run -- python train.py --lr 0.1")
    merged = {**params_from_argv(argv), **(params or {})}
    target = get_study(study or default_study_name(argv), store=store)
    run = target.start_run(merged, tags=tags, name=name)
    run.study.store.update_run(run.id, command=shlex.join(argv), run_dir=str(run.dir))
    return execute_command(argv, run, cwd=cwd, echo=echo)
