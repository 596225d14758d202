"""``hl.launch_workers``: start N queue workers with a launcher (the cluster scale-out path).

On Slurm the workers are one array job (``sbatch --array=0-N-1%K``): each task runs
``python -m hyperlab --store URL worker ...`` and drains the shared queue, so 64 tasks on a
cluster with a PostgreSQL store run a sweep 64 ways. Workers stop when the queue has been empty
for ``idle_exit_s`` (or after ``max_runs``), so the array ends by itself.
"""

from __future__ import annotations

import os
import secrets
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hyperlab.errors import InvalidValueError
from hyperlab.execute.launchers.base import JobSpec, Launcher, check_resources, render_wrapper
from hyperlab.execute.launchers.quoting import fill_template, quote, template_fields
from hyperlab.execute.launchers.submit import BATCH_DIRNAME, get_launcher, read_template

if TYPE_CHECKING:
    import pandas as pd

    from hyperlab.store import Store


def worker_command(
    store_url: str,
    *,
    studies: Sequence[str] = (),
    idle_exit_s: float | None = 60.0,
    max_runs: int | None = None,
    lease_s: float | None = None,
    python: str | None = None,
) -> str:
    """The shell command one worker job runs (every value quoted)."""
    words = [python or sys.executable, "-m", "hyperlab", "--store", store_url, "worker"]
    for name in studies:
        words += ["--study", name]
    if idle_exit_s is not None:
        words += ["--idle-exit-s", str(idle_exit_s)]
    if max_runs is not None:
        words += ["--max-runs", str(max_runs)]
    if lease_s is not None:
        words += ["--lease-s", str(lease_s)]
    return " ".join(quote(w) for w in words)


def render_worker_script(
    template: str | os.PathLike[str] | None, command: str, job_name: str, index: int
) -> str:
    """The script of one worker job: ``exec COMMAND``, or a template filled with it.

    Template fields: ``{command}`` (the worker command line, already quoted), ``{job_name}``
    and ``{index}``; write ``{{``/``}}`` for literal braces (``${{HOME}}``). Use the template
    to load modules or activate an environment before the worker starts.

    Raises:
        InvalidValueError: when the template lacks ``{command}`` or uses another field.
    """
    if template is None:
        return f"#!/bin/bash\nexec {command}\n"
    text = read_template(template)
    if "command" not in template_fields(text):
        raise InvalidValueError(
            "a worker job template must contain {command} where the worker starts, e.g. "
            "'module load python\\n{command}'"
        )
    script = fill_template(
        text, {"command": command, "job_name": job_name, "index": index}, quote_values=False
    )
    if not script.startswith("#!"):
        script = "#!/bin/bash\n" + script
    return script if script.endswith("\n") else script + "\n"


def launch_workers(
    count: int,
    *,
    launcher: str | Launcher = "local",
    studies: Sequence[str] = (),
    work_dir: str | os.PathLike[str] = ".",
    resources: Mapping[str, Any] | None = None,
    max_parallel: int | None = None,
    idle_exit_s: float | None = 60.0,
    max_runs: int | None = None,
    lease_s: float | None = None,
    store: Store | str | Path | None = None,
    script_template: str | os.PathLike[str] | None = None,
) -> pd.DataFrame:
    """Start ``count`` workers that drain the queue, as one array job where supported.

    Args:
        count: How many workers.
        launcher: ``"local"``, ``"slurm"``, ``"torque"`` or a launcher instance.
        studies: Only drain these studies' queues (default: every study).
        work_dir: Worker job directories go in ``work_dir/workers-BATCH-I/``.
        resources: Scheduler resources per worker (e.g. ``{"time": 240, "cpus": 4}``).
        max_parallel: At most this many workers run at once (Slurm ``--array=...%K``).
        idle_exit_s: A worker stops once the queue has been empty this long.
        max_runs: A worker stops after this many runs.
        lease_s: Lease length of the workers' claims.
        store: The store holding the queue (workers get its URL: use PostgreSQL on clusters).
        script_template: A job script template (text or file) run by each worker job, with
            ``{command}`` where the worker starts (see :func:`render_worker_script`).

    Returns:
        One row per worker job (see :func:`hyperlab.job_status`).
    """
    from hyperlab.execute.launchers.status import jobs_frame
    from hyperlab.store.jobs import add_jobs
    from hyperlab.tracking.study import study as get_study

    if count < 1:
        raise InvalidValueError(f"count={count!r}: start at least one worker")
    chosen = get_launcher(launcher)
    probe = getattr(chosen, "resources", None)
    if isinstance(probe, Mapping):
        check_resources(resources, probe, chosen.name)
    target = get_study(studies[0] if studies else "workers", store=store)
    command = worker_command(
        target.store.url,
        studies=studies,
        idle_exit_s=idle_exit_s,
        max_runs=max_runs,
        lease_s=lease_s,
    )
    root = Path(work_dir).expanduser().resolve()
    batch = f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"
    batch_dir = root / BATCH_DIRNAME / batch
    batch_dir.mkdir(parents=True)
    specs = []
    for i in range(count):
        spec = JobSpec(f"workers-{batch}-{i}", root / f"workers-{batch}-{i}", {})
        spec.job_dir.mkdir()
        spec.script.write_text(render_worker_script(script_template, command, spec.name, i))
        spec.script.chmod(0o755)
        spec.wrapper.write_text(render_wrapper(spec))
        specs.append(spec)
    use_array = chosen.name in {"slurm", "local"}
    job_ids = chosen.submit(
        specs, resources=resources, array=use_array, max_parallel=max_parallel, batch_dir=batch_dir
    )
    rows = [
        {
            "study_id": target.id,
            "run_id": None,
            "batch": batch,
            "launcher": chosen.name,
            "job_id": job_id,
            "array_index": i if use_array else None,
            "name": spec.name,
            "state": "PENDING",
            "work_dir": str(spec.job_dir),
            "params": {"worker": i},
        }
        for i, (spec, job_id) in enumerate(zip(specs, job_ids, strict=True))
    ]
    return jobs_frame(target.store, add_jobs(target.store, rows))
