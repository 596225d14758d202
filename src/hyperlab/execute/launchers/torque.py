"""The Torque/PBS launcher: ``qsub`` to submit, ``qstat -f`` to poll, ``qdel`` to cancel.

Tested against the PBS-style wrappers of Debian's ``slurm-wlm-torque`` (``qsub``/``qstat``/``qdel``
on top of Slurm); no Torque or OpenPBS server is packaged for Debian 12. Those wrappers pass their
arguments through a shell, so this launcher runs ``qsub`` inside the job directory with only
relative, plain file names, and accepts only plain resource values.

``qstat`` reports a finished job as ``C`` without an exit code (the wrappers) or with
``exit_status`` (real Torque, until ``keep_completed`` expires); the exit code the wrapper script
records in the job directory is what decides COMPLETED or FAILED.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hyperlab.errors import InvalidValueError, LauncherError
from hyperlab.execute.launchers.base import (
    CANCEL_FILE,
    SCHEDULER_OUT,
    WRAPPER_NAME,
    CommandLauncher,
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
    state_from_exit,
)

TORQUE_RESOURCES: dict[str, str] = {
    "time": "-l walltime=HH:MM:SS; minutes or H:MM:SS",
    "cpus": "-l nodes=1:ppn=N",
    "mem": "-l mem=..., e.g. 4gb",
    "queue": "-q",
    "account": "-A",
}
_PLAIN = re.compile(r"[A-Za-z0-9:=._+@-]+")
_STATES = {
    "Q": JobState.PENDING,
    "W": JobState.PENDING,
    "H": JobState.PENDING,
    "T": JobState.PENDING,
    "R": JobState.RUNNING,
    "E": JobState.RUNNING,
    "S": JobState.RUNNING,
}


def parse_qstat_full(text: str) -> dict[str, dict[str, str]]:
    """Parse ``qstat -f`` output into ``{job id: {attribute: value}}``.

    Continuation lines (real Torque wraps long values onto tab-indented lines) are joined.
    """
    jobs: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    last_key: str | None = None
    for line in text.splitlines():
        if line.startswith("Job Id:"):
            current = {}
            jobs[line.split(":", 1)[1].strip()] = current
            last_key = None
        elif current is not None and " = " in line:
            key, value = line.strip().split(" = ", 1)
            current[key.strip()] = value.strip()
            last_key = key.strip()
        elif current is not None and last_key and line.startswith("\t") and line.strip():
            current[last_key] += line.strip()
    return jobs


def status_from_qstat(job_id: str, attrs: Mapping[str, str]) -> JobStatus:
    """A :class:`JobStatus` from one job's ``qstat -f`` attributes."""
    raw = attrs.get("job_state", "")
    node = attrs.get("exec_host") or None
    if node:
        node = node.split("/", 1)[0]
    runtime = _hms_s(attrs.get("resources_used.walltime", ""))
    if raw == "C":
        code_text = attrs.get("exit_status")
        if code_text is not None and code_text.lstrip("-").isdigit():
            return state_from_exit(job_id, int(code_text), node=node, runtime_s=runtime)
        return JobStatus(job_id, JobState.UNKNOWN, node=node, runtime_s=runtime, raw_state=raw)
    return JobStatus(
        job_id, _STATES.get(raw, JobState.UNKNOWN), node=node, runtime_s=runtime, raw_state=raw
    )


def _hms_s(text: str) -> float | None:
    parts = text.strip().split(":")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    return float(int(parts[0]) * 3600 + int(parts[1]) * 60 + int(parts[2]))


class TorqueLauncher(CommandLauncher):
    """Submit job scripts with ``qsub`` (Torque/PBS or compatible wrappers).

    Args:
        env: Extra environment for the commands.
        extra_args: More ``qsub`` options (plain words only), passed before the script.
        timeout_s: How long one command may take.
    """

    name = "torque"
    needs = "qsub/qstat/qdel on PATH"
    resources = TORQUE_RESOURCES

    @staticmethod
    def _plain(name: str, value: Any) -> str:
        text = str(value)
        if not _PLAIN.fullmatch(text):
            raise InvalidValueError(
                f"{name}={text!r} is not allowed for the torque launcher: use only letters, "
                "digits and : = . _ + @ -"
            )
        return text

    def _extra_arg(self, value: str) -> str:
        return self._plain("extra_args", value)

    def qsub_options(self, resources: Mapping[str, Any] | None) -> list[str]:
        """``qsub`` options for resources; unknown names fail with the valid ones."""
        given = check_resources(resources, TORQUE_RESOURCES, self.name)
        options: list[str] = []
        for key, value in given.items():
            if key == "time":
                minutes = parse_minutes(value)
                options += ["-l", f"walltime={minutes // 60:02d}:{minutes % 60:02d}:00"]
            elif key == "cpus":
                options += ["-l", f"nodes=1:ppn={positive_int(key, value)}"]
            elif key == "mem":
                options += ["-l", f"mem={self._plain(key, value)}"]
            else:
                options += ["-q" if key == "queue" else "-A", self._plain(key, value)]
        return options + self.extra_args

    def submit(
        self,
        jobs: Sequence[JobSpec],
        *,
        resources: Mapping[str, Any] | None = None,
        array: bool = False,
        max_parallel: int | None = None,
        batch_dir: Path,
    ) -> list[str]:
        """Submit each job with ``qsub``; returns the job ids in order."""
        if array:
            raise InvalidValueError(
                "array=True is not supported by the torque launcher; submit separate jobs "
                "(array=False) or use launcher='slurm'"
            )
        options = self.qsub_options(resources)
        submitted: list[str] = []
        for spec in jobs:
            args = [
                "qsub", "-N", spec.name, "-o", SCHEDULER_OUT, "-e", SCHEDULER_OUT + ".err",
                *options, WRAPPER_NAME,
            ]  # fmt: skip
            done = self._run(args, cwd=spec.job_dir)
            job_id = done.stdout.strip().splitlines()[-1].strip() if done.stdout.strip() else ""
            if done.returncode != 0 or not re.fullmatch(r"\d+(\.\S+)?", job_id):
                if submitted:
                    self._run(["qdel", *submitted])
                raise LauncherError(
                    f"qsub failed (exit {done.returncode}): {done.stdout.strip()} "
                    f"{done.stderr.strip()}".strip()
                )
            submitted.append(job_id)
        return submitted

    def status(self, jobs: Sequence[JobRef]) -> list[JobStatus]:
        """Each job's status from its exit file, else ``qstat -f``."""
        result = []
        for ref in jobs:
            attrs = self._qstat(ref.job_id)
            code = read_exit_code(ref.job_dir)  # after qstat: a job that just ended has it
            if code is not None:
                seen = status_from_qstat(ref.job_id, attrs) if attrs else None
                node, runtime = (seen.node, seen.runtime_s) if seen else (None, None)
                result.append(exit_file_status(ref, code, node=node, runtime_s=runtime))
                continue
            if attrs is None:
                state = JobState.CANCELLED if (ref.job_dir / CANCEL_FILE).exists() else None
                result.append(
                    JobStatus(ref.job_id, state or JobState.UNKNOWN, reason="not known to qstat")
                )
                continue
            status = status_from_qstat(ref.job_id, attrs)
            if status.state is JobState.UNKNOWN and attrs.get("job_state") == "C":
                cancelled = (ref.job_dir / CANCEL_FILE).exists()
                status = JobStatus(
                    ref.job_id,
                    JobState.CANCELLED if cancelled else JobState.FAILED,
                    node=status.node,
                    runtime_s=status.runtime_s,
                    reason=None if cancelled else "ended without recording an exit code",
                    raw_state="C",
                )
            result.append(status)
        return result

    def _qstat(self, job_id: str) -> dict[str, str] | None:
        done = self._run(["qstat", "-f", job_id])
        if done.returncode != 0:
            return None
        parsed = parse_qstat_full(done.stdout)
        if job_id in parsed:
            return parsed[job_id]
        short = job_id.split(".", 1)[0]
        for key, attrs in parsed.items():
            if key.split(".", 1)[0] == short:
                return attrs
        return None

    def cancel(self, jobs: Sequence[JobRef]) -> None:
        """Mark the jobs cancelled and ``qdel`` them."""
        mark_cancelled(jobs)
        ids = [j.job_id for j in jobs]
        if ids:
            self._run(["qdel", *ids])
