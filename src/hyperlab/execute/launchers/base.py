"""What every launcher shares: job states, the job layout on disk, the wrapper script.

A job lives in its own directory ``WORK_DIR/JOB_NAME/``:

- ``job.sh``: the user's template filled with the job's params (executable; any interpreter);
- ``stdout`` / ``stderr``: what ``job.sh`` printed;
- ``.hyperlab-submit.sh``: the wrapper handed to the scheduler. It changes into the job directory,
  runs ``job.sh`` with its output redirected, and records the exit code in ``.hyperlab-exit``,
  so every launcher (even one whose scheduler forgets exit codes, like Torque) can report it;
- ``.hyperlab-scheduler.out``: whatever the scheduler itself captured (normally empty).

Launchers implement the small :class:`Launcher` protocol: build the submit command, parse the job
id, poll, cancel. Scheduler options always go on the command line before the script, so they
override any ``#SBATCH``/``#PBS`` lines the template carries. :class:`CommandLauncher` runs a
scheduler's client commands for the Slurm and Torque launchers; :func:`mark_cancelled` and
:func:`exit_file_status` are how every launcher cancels and reads a finished job.
"""

from __future__ import annotations

import enum
import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from hyperlab.errors import InvalidValueError, LauncherError
from hyperlab.execute.launchers.quoting import quote

SCRIPT_NAME = "job.sh"
WRAPPER_NAME = ".hyperlab-submit.sh"
EXIT_FILE = ".hyperlab-exit"
CANCEL_FILE = ".hyperlab-cancel"
SCHEDULER_OUT = ".hyperlab-scheduler.out"


class JobState(str, enum.Enum):
    """Where a job is, in words shared by every scheduler."""

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    TIMEOUT = "TIMEOUT"
    UNKNOWN = "UNKNOWN"

    @property
    def finished(self) -> bool:
        """Whether the job will not change state any more."""
        return self in FINISHED_JOB_STATES


FINISHED_JOB_STATES = frozenset(
    {JobState.COMPLETED, JobState.FAILED, JobState.CANCELLED, JobState.TIMEOUT}
)


@dataclass(frozen=True)
class JobSpec:
    """One job to submit: its name, directory and the environment its wrapper exports."""

    name: str
    job_dir: Path
    env: Mapping[str, str]

    @property
    def script(self) -> Path:
        """The filled template."""
        return self.job_dir / SCRIPT_NAME

    @property
    def wrapper(self) -> Path:
        """The script handed to the scheduler."""
        return self.job_dir / WRAPPER_NAME

    @property
    def stdout(self) -> Path:
        """Where the job's standard output goes."""
        return self.job_dir / "stdout"

    @property
    def stderr(self) -> Path:
        """Where the job's standard error goes."""
        return self.job_dir / "stderr"


@dataclass(frozen=True)
class JobRef:
    """A submitted job as launchers see it when polling or cancelling."""

    job_id: str
    job_dir: Path


@dataclass(frozen=True)
class JobStatus:
    """A job's state as the scheduler (or its exit file) reports it.

    Attributes:
        job_id: The scheduler's id (``123``, ``123_4`` for array task 4).
        state: The common state.
        exit_code: The job script's exit code once known.
        node: Where it runs or ran.
        runtime_s: Seconds it has been running (or ran).
        reason: Why it waits or ended (scheduler text, e.g. ``Resources``).
        raw_state: The scheduler's own word (``CANCELLED by 0``, ``C``).
    """

    job_id: str
    state: JobState
    exit_code: int | None = None
    node: str | None = None
    runtime_s: float | None = None
    reason: str | None = None
    raw_state: str | None = None


class Launcher(Protocol):
    """A way to run job scripts: local processes, Slurm, Torque/PBS."""

    name: str

    def submit(
        self,
        jobs: Sequence[JobSpec],
        *,
        resources: Mapping[str, Any] | None = None,
        array: bool = False,
        max_parallel: int | None = None,
        batch_dir: Path,
    ) -> list[str]:
        """Submit jobs whose files are written; returns one job id per job, in order."""
        ...

    def status(self, jobs: Sequence[JobRef]) -> list[JobStatus]:
        """The current status of each job, in order."""
        ...

    def cancel(self, jobs: Sequence[JobRef]) -> None:
        """Cancel jobs (finished ones are left alone)."""
        ...


def render_wrapper(spec: JobSpec, directives: Sequence[str] = ()) -> str:
    """The wrapper script for one job (see the module docstring).

    Every path and environment value is shell-quoted.
    """
    lines = ["#!/bin/bash", *directives, "# written by hyperlab: run job.sh, record its exit code"]
    lines += _env_lines(spec.env)
    lines += [
        f"cd {quote(str(spec.job_dir))} || exit 97",
        *_run_lines(),
    ]
    return "\n".join(lines) + "\n"


def render_array_wrapper(
    specs: Sequence[JobSpec], index_vars: Sequence[str], directives: Sequence[str] = ()
) -> str:
    """A wrapper for an array job: task ``i`` runs the ``i``-th job's ``job.sh``.

    Args:
        specs: The jobs, in array index order.
        index_vars: Environment variables that may hold the task index, first set wins.
        directives: Scheduler directive lines.
    """
    lines = ["#!/bin/bash", *directives, "# written by hyperlab: task i runs job i"]
    lines.append(f"i={_index_expr(index_vars)}")
    lines.append('case "$i" in')
    for i, spec in enumerate(specs):
        exports = " ".join(f"{k}={quote(v)}" for k, v in spec.env.items())
        body = f"cd {quote(str(spec.job_dir))} || exit 97"
        if exports:
            body = f"export {exports}; {body}"
        lines.append(f"  {i}) {body} ;;")
    lines.append('  *) echo "hyperlab: no job for array index ${i}" >&2; exit 98 ;;')
    lines.append("esac")
    lines += _run_lines()
    return "\n".join(lines) + "\n"


def _index_expr(index_vars: Sequence[str]) -> str:
    """``"${A:-${B:-}}"``: the first of these variables that is set."""
    expr = ""
    for name in reversed(index_vars):
        expr = "${" + name + ":-" + expr + "}"
    return f'"{expr}"'


def _env_lines(env: Mapping[str, str]) -> list[str]:
    return [f"export {k}={quote(v)}" for k, v in env.items()]


def _run_lines() -> list[str]:
    return [
        f"./{SCRIPT_NAME} > stdout 2> stderr",
        "code=$?",
        f'echo "$code" > {EXIT_FILE}.tmp && mv -f {EXIT_FILE}.tmp {EXIT_FILE}',
        'exit "$code"',
    ]


def read_exit_code(job_dir: Path) -> int | None:
    """The exit code the wrapper recorded, or None while the job has not finished."""
    try:
        return int((job_dir / EXIT_FILE).read_text().strip())
    except (OSError, ValueError):
        return None


def cancelled_first(job_dir: Path) -> bool:
    """Whether the job was marked cancelled before it recorded an exit code.

    A cancelled job's wrapper may still record the signal's exit code (143); that is a
    cancellation, not a failure.
    """
    try:
        cancelled_at = (job_dir / CANCEL_FILE).stat().st_mtime
    except OSError:
        return False
    try:
        return cancelled_at <= (job_dir / EXIT_FILE).stat().st_mtime
    except OSError:
        return True


def state_from_exit(job_id: str, code: int, **extra: Any) -> JobStatus:
    """COMPLETED for exit code 0, else FAILED, keeping scheduler details."""
    state = JobState.COMPLETED if code == 0 else JobState.FAILED
    return JobStatus(job_id, state, exit_code=code, **extra)


def exit_file_status(
    ref: JobRef, code: int, *, node: str | None = None, runtime_s: float | None = None
) -> JobStatus:
    """A finished job's status from the exit code its wrapper recorded.

    CANCELLED when the job was marked cancelled before it recorded the code (see
    :func:`cancelled_first`), else COMPLETED or FAILED by the code.
    """
    if cancelled_first(ref.job_dir):
        return JobStatus(ref.job_id, JobState.CANCELLED, code, node, runtime_s)
    return state_from_exit(ref.job_id, code, node=node, runtime_s=runtime_s)


def mark_cancelled(jobs: Sequence[JobRef]) -> list[JobRef]:
    """Mark the jobs that have not recorded an exit code as cancelled; returns those jobs."""
    unfinished = [ref for ref in jobs if read_exit_code(ref.job_dir) is None]
    for ref in unfinished:
        (ref.job_dir / CANCEL_FILE).touch()
    return unfinished


class CommandLauncher:
    """The part of a launcher that drives a scheduler's client commands (Slurm, Torque).

    Args:
        env: Extra environment for the commands.
        extra_args: More submit options, passed before the script.
        timeout_s: How long one command may take.
    """

    name: str
    needs = "its scheduler's client commands on PATH"
    """What the launcher needs, said when a command is not found."""

    def __init__(
        self,
        *,
        env: Mapping[str, str] | None = None,
        extra_args: Sequence[str] = (),
        timeout_s: float = 120,
    ) -> None:
        self.env = dict(env or {})
        self.extra_args = [self._extra_arg(a) for a in extra_args]
        self.timeout_s = timeout_s

    def _extra_arg(self, value: str) -> str:
        """One of ``extra_args`` as passed on (launchers may reject some)."""
        return value

    def _run(self, args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        """Run one scheduler command, capturing its output; a missing or hung one is an error."""
        try:
            return subprocess.run(
                args,
                capture_output=True,
                text=True,
                env={**os.environ, **self.env} if self.env else None,
                cwd=cwd,
                timeout=self.timeout_s,
                check=False,
            )
        except FileNotFoundError:
            raise LauncherError(
                f"{args[0]} not found: the {self.name} launcher needs {self.needs}"
            ) from None
        except subprocess.TimeoutExpired:
            raise LauncherError(
                f"{args[0]} did not answer within {self.timeout_s:.0f} s"
            ) from None


def check_resources(
    resources: Mapping[str, Any] | None, valid: Mapping[str, str], launcher: str
) -> dict[str, Any]:
    """Reject unknown resource names at once, naming the valid ones."""
    given = dict(resources or {})
    unknown = sorted(set(given) - set(valid))
    if unknown:
        listing = ", ".join(f"{k} ({v})" for k, v in valid.items())
        raise InvalidValueError(
            f"unknown resource {', '.join(map(repr, unknown))} for the {launcher} launcher; "
            f"valid: {listing}"
        )
    return {k: v for k, v in given.items() if v is not None}


def parse_minutes(value: Any) -> int:
    """Minutes from ``90``, ``"90"``, ``"1:30:00"`` (H:MM:SS) or ``"2-00:00:00"`` (D-HH:MM:SS)."""
    text = str(value).strip()
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            minutes = int(value)
        else:
            days = 0
            if "-" in text:
                day_text, text = text.split("-", 1)
                days = int(day_text)
            parts = [int(p) for p in text.split(":")]
            if len(parts) == 1:
                minutes = parts[0]
            elif len(parts) == 2:
                minutes = parts[0] * 60 + parts[1]
            elif len(parts) == 3:
                minutes = parts[0] * 60 + parts[1] + (1 if parts[2] else 0)
            else:
                raise ValueError(text)
            minutes += days * 24 * 60
    except ValueError:
        raise InvalidValueError(
            f"resource time={value!r} is not a duration; give minutes (90) or H:MM:SS (1:30:00)"
        ) from None
    if minutes <= 0:
        raise InvalidValueError(f"resource time={value!r} must be positive")
    return minutes


def positive_int(name: str, value: Any) -> int:
    """A positive integer resource value, or a clear error."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number <= 0 or (isinstance(value, float) and not value.is_integer()):
        raise InvalidValueError(f"resource {name}={value!r} must be a positive integer")
    return number
