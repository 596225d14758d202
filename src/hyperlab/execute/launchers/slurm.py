"""The Slurm launcher: ``sbatch`` submits, ``squeue``/``sacct``/``scontrol`` poll, ``scancel``.

Status comes from ``squeue`` while a job is known to the controller; finished jobs are looked up
with ``sacct`` when accounting is enabled, else with ``scontrol show job`` (which only remembers
them for ``MinJobAge`` seconds). The exit code the wrapper script records wins over both, so a
finished job's result never depends on how long the scheduler keeps it.

Array jobs (``sbatch --array=0-N%K``) give task ids ``123_4``; while tasks wait, Slurm reports
them together as ``123_[5-10%2]``; :func:`expand_array_id` splits that back into tasks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from hyperlab.errors import LauncherError
from hyperlab.execute.launchers.base import (
    SCHEDULER_OUT,
    CommandLauncher,
    JobRef,
    JobSpec,
    JobState,
    JobStatus,
    cancelled_first,
    check_resources,
    mark_cancelled,
    parse_minutes,
    positive_int,
    read_exit_code,
    render_array_wrapper,
    state_from_exit,
)

SLURM_RESOURCES: dict[str, str] = {
    "time": "--time, minutes or H:MM:SS",
    "cpus": "--cpus-per-task",
    "mem": "--mem, e.g. 4G",
    "gpus": "--gres=gpu:N",
    "nodes": "--nodes",
    "partition": "--partition",
    "account": "--account",
    "qos": "--qos",
    "constraint": "--constraint",
}

_STATES: dict[str, JobState] = {
    **dict.fromkeys(
        ["PENDING", "CONFIGURING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD"],
        JobState.PENDING,
    ),
    **dict.fromkeys(
        ["RUNNING", "COMPLETING", "SIGNALING", "STAGE_OUT", "RESIZING", "SUSPENDED", "STOPPED"],
        JobState.RUNNING,
    ),
    "COMPLETED": JobState.COMPLETED,
    **dict.fromkeys(
        ["FAILED", "BOOT_FAIL", "NODE_FAIL", "OUT_OF_MEMORY", "DEADLINE", "SPECIAL_EXIT"],
        JobState.FAILED,
    ),
    **dict.fromkeys(["CANCELLED", "PREEMPTED", "REVOKED"], JobState.CANCELLED),
    "TIMEOUT": JobState.TIMEOUT,
}
ARRAY_INDEX_VARS = ("SLURM_ARRAY_TASK_ID",)
_SCHEDULER_WINS = frozenset({JobState.CANCELLED, JobState.TIMEOUT})


def map_state(raw: str) -> JobState:
    """The common state for a Slurm state word (``CANCELLED by 0`` -> CANCELLED)."""
    word = raw.strip().split(" ", 1)[0].rstrip("+").upper()
    return _STATES.get(word, JobState.UNKNOWN)


def expand_array_id(job_id: str) -> list[str]:
    """``123_[5-7,9%2]`` -> ``["123_5", "123_6", "123_7", "123_9"]``; other ids unchanged."""
    match = re.fullmatch(r"(\d+)_\[([^\]]*)\]", job_id.strip())
    if match is None:
        return [job_id.strip()]
    base, spec = match.groups()
    spec = spec.split("%", 1)[0]
    ids: list[str] = []
    for part in filter(None, spec.split(",")):
        step = 1
        if ":" in part:
            part, step_text = part.split(":", 1)
            step = int(step_text)
        if "-" in part:
            lo, hi = part.split("-", 1)
            ids += [f"{base}_{i}" for i in range(int(lo), int(hi) + 1, step)]
        else:
            ids.append(f"{base}_{int(part)}")
    return ids


def parse_duration_s(text: str) -> float | None:
    """Seconds from Slurm's ``[D-]HH:MM:SS``, ``MM:SS`` or ``M:SS.mmm`` forms."""
    text = text.strip()
    if not text or text in {"INVALID", "UNLIMITED", "N/A"}:
        return None
    days = 0
    if "-" in text:
        day_text, text = text.split("-", 1)
        days = int(day_text)
    try:
        parts = [float(p) for p in text.split(":")]
    except ValueError:
        return None
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + part
    return days * 86400 + seconds


def parse_exit_code(text: str) -> int | None:
    """``3:0`` -> 3; killed by signal 9 (``0:9``) -> 137, like a shell reports it."""
    match = re.fullmatch(r"\s*(\d+):(\d+)\s*", text)
    if match is None:
        return None
    code, signal = int(match.group(1)), int(match.group(2))
    return 128 + signal if signal and not code else code


def _node(text: str) -> str | None:
    text = text.strip()
    return None if text in {"", "(null)", "None assigned", "None"} else text


def parse_squeue(text: str) -> dict[str, JobStatus]:
    """Parse ``squeue -h -o '%i|%T|%N|%M|%r'`` output (reasons may hold spaces)."""
    found: dict[str, JobStatus] = {}
    for line in text.splitlines():
        fields = line.split("|", 4)
        if len(fields) < 5:
            continue
        job_id, raw, node, elapsed, reason = fields
        for one in expand_array_id(job_id):
            found[one] = JobStatus(
                one,
                map_state(raw),
                node=_node(node),
                runtime_s=parse_duration_s(elapsed),
                reason=None if reason.strip() in {"", "None"} else reason.strip(),
                raw_state=raw.strip(),
            )
    return found


def parse_sacct(text: str) -> dict[str, JobStatus]:
    """Parse ``sacct -n -X -P -o JobID,State,ExitCode,NodeList,ElapsedRaw,Reason`` output."""
    found: dict[str, JobStatus] = {}
    for line in text.splitlines():
        fields = line.split("|", 5)
        if len(fields) < 6:
            continue
        job_id, raw, exit_text, node, elapsed, reason = fields
        state = map_state(raw)
        code = parse_exit_code(exit_text) if state.finished else None
        for one in expand_array_id(job_id):
            found[one] = JobStatus(
                one,
                state,
                exit_code=code,
                node=_node(node),
                runtime_s=float(elapsed) if elapsed.strip().isdigit() else None,
                reason=None if reason.strip() in {"", "None"} else reason.strip(),
                raw_state=raw.strip(),
            )
    return found


def parse_scontrol(text: str) -> dict[str, JobStatus]:
    """Parse ``scontrol -o show job`` output (one job or array task per line)."""
    found: dict[str, JobStatus] = {}
    for line in text.splitlines():
        pairs = dict(re.findall(r"(?:^|\s)(\w+)=(\S*)", line))
        if "JobId" not in pairs or "JobState" not in pairs:
            continue
        job_id = pairs["JobId"]
        task = pairs.get("ArrayTaskId", "")
        if pairs.get("ArrayJobId") and task:
            # A huge task id (NO_VAL) marks the record of tasks not yet split off.
            big = task.isdigit() and int(task) >= 2**31
            job_id = pairs["ArrayJobId"] if big else f"{pairs['ArrayJobId']}_[{task}]"
        state = map_state(pairs["JobState"])
        code = parse_exit_code(pairs.get("ExitCode", "")) if state.finished else None
        for one in expand_array_id(job_id):
            found[one] = JobStatus(
                one,
                state,
                exit_code=code,
                node=_node(pairs.get("NodeList", "")),
                runtime_s=parse_duration_s(pairs.get("RunTime", "")),
                reason=None if pairs.get("Reason") in {None, "", "None"} else pairs["Reason"],
                raw_state=pairs["JobState"],
            )
    return found


def parse_job_id(stdout: str) -> str:
    """The job id from ``sbatch --parsable`` (``123`` or ``123;cluster``) or plain output."""
    text = stdout.strip()
    match = re.search(r"(\d+)(?:;\S+)?\s*$", text)
    if match is None:
        raise LauncherError(f"could not read a job id from sbatch's output {text!r}")
    return match.group(1)


def _base_id(job_id: str) -> str:
    return job_id.split("_", 1)[0]


def _live(status: JobStatus | None) -> bool:
    return status is not None and not status.state.finished


def _lookup(known: Mapping[str, JobStatus], job_id: str) -> JobStatus | None:
    """A job's status; an array task not listed on its own takes the array's remainder record.

    Slurm reports array tasks that never started (e.g. cancelled while pending) under the
    plain array id (``123``), not as ``123_4``.
    """
    found = known.get(job_id)
    if found is None and "_" in job_id:
        rest = known.get(_base_id(job_id))
        if rest is not None:
            return JobStatus(job_id, rest.state, exit_code=rest.exit_code, reason=rest.reason,
                             raw_state=rest.raw_state)  # fmt: skip
    return found


class SlurmLauncher(CommandLauncher):
    """Submit job scripts to Slurm.

    Args:
        env: Extra environment for the Slurm commands (e.g. ``{"SLURM_CONF": ...}``).
        extra_args: More ``sbatch`` options, passed before the script.
        timeout_s: How long one Slurm command may take.
    """

    name = "slurm"
    needs = (
        "Slurm's client commands on PATH (apt-get install slurm-client), or use launcher='local'"
    )
    resources = SLURM_RESOURCES

    def sbatch_options(self, resources: Mapping[str, Any] | None) -> list[str]:
        """``sbatch`` options for resources; unknown names fail with the valid ones."""
        given = check_resources(resources, SLURM_RESOURCES, self.name)
        options: list[str] = []
        for key, value in given.items():
            if key == "time":
                options.append(f"--time={parse_minutes(value)}")
            elif key in {"cpus", "nodes"}:
                flag = "--cpus-per-task" if key == "cpus" else "--nodes"
                options.append(f"{flag}={positive_int(key, value)}")
            elif key == "gpus":
                options.append(f"--gres=gpu:{positive_int(key, value)}")
            else:
                options.append(f"--{key}={value}")
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
        """Submit each job (or all as one array job); returns the job ids in order."""
        options = self.sbatch_options(resources)
        if array:
            return self._submit_array(jobs, options, max_parallel, batch_dir)
        submitted: list[str] = []
        for spec in jobs:
            args = [
                "sbatch", "--parsable", f"--job-name={spec.name}", f"--chdir={spec.job_dir}",
                f"--output={spec.job_dir / SCHEDULER_OUT}", *options, str(spec.wrapper),
            ]  # fmt: skip
            submitted.append(self._sbatch(args, submitted))
        return submitted

    def _submit_array(
        self,
        jobs: Sequence[JobSpec],
        options: list[str],
        max_parallel: int | None,
        batch_dir: Path,
    ) -> list[str]:
        script = batch_dir / "array.sh"
        script.write_text(render_array_wrapper(jobs, ARRAY_INDEX_VARS))
        spec = f"0-{len(jobs) - 1}"
        if max_parallel:
            spec += f"%{positive_int('max_parallel', max_parallel)}"
        args = [
            "sbatch", "--parsable", f"--array={spec}", f"--job-name={batch_dir.name}",
            f"--chdir={batch_dir}", f"--output={batch_dir / 'slurm-%A_%a.out'}", *options,
            str(script),
        ]  # fmt: skip
        base = self._sbatch(args, [])
        return [f"{base}_{i}" for i in range(len(jobs))]

    def _sbatch(self, args: list[str], submitted: list[str]) -> str:
        done = self._run(args)
        if done.returncode != 0:
            if submitted:
                self._run(["scancel", *submitted])
            raise LauncherError(
                f"sbatch failed (exit {done.returncode}): {done.stderr.strip() or done.stdout}; "
                f"command: {' '.join(args)}"
                + (f"; cancelled the {len(submitted)} jobs already submitted" if submitted else "")
            )
        return parse_job_id(done.stdout)

    def status(self, jobs: Sequence[JobRef]) -> list[JobStatus]:
        """Each job's status from squeue, else sacct, else scontrol; the exit file decides
        COMPLETED or FAILED unless Slurm says the job was cancelled or timed out."""
        ids = [j.job_id for j in jobs]
        known = self._squeue(ids)
        missing = [i for i in ids if not _live(_lookup(known, i))]
        if missing:
            known.update(self._finished(missing))
        result = []
        for ref in jobs:
            seen = _lookup(known, ref.job_id)
            code = read_exit_code(ref.job_dir)
            if code is not None and seen is not None and seen.state in _SCHEDULER_WINS:
                # scancel or the time limit killed it; the wrapper may still record 143.
                result.append(replace(seen, exit_code=code))
            elif code is not None and cancelled_first(ref.job_dir):
                result.append(JobStatus(ref.job_id, JobState.CANCELLED, exit_code=code))
            elif code is not None:
                extra = {"node": seen.node, "runtime_s": seen.runtime_s} if seen else {}
                raw = seen.raw_state if seen else None
                result.append(state_from_exit(ref.job_id, code, raw_state=raw, **extra))
            elif seen is not None:
                result.append(seen)
            else:
                result.append(JobStatus(ref.job_id, JobState.UNKNOWN, reason="not known to Slurm"))
        return result

    def _squeue(self, ids: Iterable[str]) -> dict[str, JobStatus]:
        bases = sorted({_base_id(i) for i in ids})
        if not bases:
            return {}
        done = self._run(
            ["squeue", "-h", "-a", "-t", "all", "-j", ",".join(bases), "-o", "%i|%T|%N|%M|%r"]
        )
        return parse_squeue(done.stdout) if done.returncode == 0 else {}

    def _finished(self, ids: Sequence[str]) -> dict[str, JobStatus]:
        bases = ",".join(sorted({_base_id(i) for i in ids}))
        fields = "JobID,State,ExitCode,NodeList,ElapsedRaw,Reason"
        done = self._run(["sacct", "-n", "-X", "-P", "-j", bases, "-o", fields])
        found = parse_sacct(done.stdout) if done.returncode == 0 else {}
        if all(_lookup(found, i) for i in ids):
            return found
        for base in sorted({_base_id(i) for i in ids if _lookup(found, i) is None}):
            shown = self._run(["scontrol", "-o", "show", "job", base])
            if shown.returncode == 0:
                found.update(parse_scontrol(shown.stdout))
        return found

    def cancel(self, jobs: Sequence[JobRef]) -> None:
        """``scancel`` the jobs (array tasks by their ``123_4`` ids)."""
        ids = [j.job_id for j in jobs]
        if not ids:
            return
        mark_cancelled(jobs)
        done = self._run(["scancel", *ids])
        if done.returncode != 0 and "already completed" not in done.stderr:
            raise LauncherError(f"scancel {' '.join(ids)} failed: {done.stderr.strip()}")
