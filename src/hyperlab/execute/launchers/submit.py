"""``hl.submit``: one job script per point of a space, submitted with a launcher, each tracked.

::

    template = '''#!/bin/bash
    #SBATCH --time=10
    python train.py --lr {lr} --layers {layers} > {job_name}.log
    '''
    jobs = hl.submit(template, "mlp_{lr}_{layers}", {"lr": [0.1, 0.01], "layers": [2, 3]},
                     launcher="slurm", work_dir="experiments", resources={"cpus": 2})

The template (a file path or the text itself) and the name are Python format strings filled with
the params, ``job_name`` and ``hash``. Values in the script are shell-quoted; names must be
``[A-Za-z0-9._-]+`` and unique, checked before anything is written.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hyperlab.errors import InvalidValueError
from hyperlab.execute.launchers.base import JobSpec, Launcher, render_wrapper
from hyperlab.execute.launchers.quoting import (
    check_job_name,
    fill_template,
    normalise_newlines,
)
from hyperlab.space.hashing import params_hash

if TYPE_CHECKING:
    import pandas as pd

    from hyperlab.store import Store

BATCH_DIRNAME = ".hyperlab-batches"
LAUNCHERS = ("local", "slurm", "torque")


def get_launcher(launcher: str | Launcher) -> Launcher:
    """A launcher instance from its name (``local``, ``slurm``, ``torque``) or as given."""
    if not isinstance(launcher, str):
        return launcher
    if launcher == "local":
        from hyperlab.execute.launchers.local import LocalLauncher

        return LocalLauncher()
    if launcher == "slurm":
        from hyperlab.execute.launchers.slurm import SlurmLauncher

        return SlurmLauncher()
    if launcher == "torque":
        from hyperlab.execute.launchers.torque import TorqueLauncher

        return TorqueLauncher()
    raise InvalidValueError(f"unknown launcher {launcher!r}; valid: {', '.join(LAUNCHERS)}")


def read_template(template: str | os.PathLike[str]) -> str:
    """The template text: the file's content when ``template`` names a file, else itself."""
    if isinstance(template, os.PathLike) or (
        "\n" not in template and len(template) < 4096 and Path(template).is_file()
    ):
        path = Path(template)
    else:
        return normalise_newlines(template)
    try:
        return normalise_newlines(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise InvalidValueError(f"cannot read template file {str(path)!r}: {err}") from None


def space_points(space: Any) -> list[dict[str, Any]]:
    """Flat param dicts from a :class:`~hyperlab.ParamSpace`, a dict of ranges or a list."""
    from hyperlab.space import ParamSpace
    from hyperlab.store import codec

    if isinstance(space, Mapping):
        space = ParamSpace(dict(space))
    if not isinstance(space, Iterable) or isinstance(space, (str, bytes)):
        raise InvalidValueError(
            f"space must be a ParamSpace, a dict of ranges or a list of dicts, got {space!r}"
        )
    points = []
    for point in space:
        if not isinstance(point, Mapping):
            raise InvalidValueError(f"each point of the space must be a dict, got {point!r}")
        points.append(codec.flatten(point))
    if not points:
        raise InvalidValueError("the space has no points: nothing to submit")
    return points


def render_job(template: str, name: str, params: Mapping[str, Any]) -> tuple[str, str]:
    """``(job_name, script)`` for one point: name from ``name``, script from ``template``.

    The name is filled with the raw values and must then be a valid job name; the script is
    filled with shell-quoted values and gets a ``#!/bin/bash`` line when it has none.
    """
    digest = params_hash(params)
    reserved = {"job_name", "hash"} & set(params)
    if reserved:
        raise InvalidValueError(
            f"param names {sorted(reserved)} clash with the template fields job_name and hash; "
            "rename those params"
        )
    job_name = check_job_name(fill_template(name, {**params, "hash": digest}, quote_values=False))
    script = fill_template(template, {**params, "job_name": job_name, "hash": digest})
    if not script.startswith("#!"):
        script = "#!/bin/bash\n" + script
    if not script.endswith("\n"):
        script += "\n"
    return job_name, script


def submit(
    template: str | os.PathLike[str],
    name: str,
    space: Any,
    *,
    launcher: str | Launcher = "local",
    work_dir: str | os.PathLike[str] = ".",
    resources: Mapping[str, Any] | None = None,
    array: bool = False,
    max_parallel: int | None = None,
    study: str = "jobs",
    store: Store | str | Path | None = None,
) -> pd.DataFrame:
    """Render one job script per point of ``space`` and submit them.

    Args:
        template: The job script (text or a file path); a Python format string with the params,
            ``{job_name}`` and ``{hash}``. Values are shell-quoted; ``{{``/``}}`` are literal
            braces (``${{HOME}}``).
        name: Format string for job names, e.g. ``"mlp_{lr}_{layers}"`` or ``"job_{hash}"``.
        space: A :class:`~hyperlab.ParamSpace`, a dict of ranges (grid) or a list of dicts.
        launcher: ``"local"``, ``"slurm"``, ``"torque"`` or a launcher instance.
        work_dir: Each job runs in ``work_dir/JOB_NAME/`` (script, stdout, stderr, metrics).
        resources: Scheduler resources, e.g. ``{"time": 60, "cpus": 4, "mem": "8G"}``; unknown
            names fail at once with the valid ones.
        array: Submit all jobs as one array job (Slurm; local runs them as one pool).
        max_parallel: Run at most this many at once (Slurm array ``%`` limit, local pool size).
        study: The study the jobs' runs are recorded in.
        store: Where jobs and runs are recorded (default store when None).

    Returns:
        One row per job (see :func:`hyperlab.job_status`).
    """
    from hyperlab.execute.launchers.status import jobs_frame
    from hyperlab.store import RunState
    from hyperlab.store.jobs import add_jobs
    from hyperlab.tracking.study import study as get_study

    chosen = get_launcher(launcher)
    text = read_template(template)
    points = space_points(space)
    rendered = [render_job(text, name, p) for p in points]
    _check_unique([job_name for job_name, _ in rendered])
    root = Path(work_dir).expanduser().resolve()
    taken = [n for n, _ in rendered if (root / n).exists()]
    if taken:
        raise InvalidValueError(
            f"job directories already exist in {str(root)!r}: {', '.join(taken[:5])}"
            f"{' ...' if len(taken) > 5 else ''}; use another work_dir or name format"
        )
    # Check resources before writing anything.
    probe = getattr(chosen, "resources", None)
    if isinstance(probe, Mapping):
        from hyperlab.execute.launchers.base import check_resources

        check_resources(resources, probe, chosen.name)
    target = get_study(study, store=store)
    batch = f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"
    batch_dir = root / BATCH_DIRNAME / batch
    batch_dir.mkdir(parents=True)
    specs, run_ids = [], []
    for (job_name, script), params in zip(rendered, points, strict=True):
        job_dir = root / job_name
        job_dir.mkdir()
        run_id, _ = target.store.create_run(
            target.id,
            flat_params=params,
            params_hash=params_hash(params),
            state=RunState.RUNNING,
            fields={"name": job_name, "run_dir": str(job_dir), "cwd": str(job_dir)},
        )
        env = {
            "HYPERLAB_RUN_ID": str(run_id),
            "HYPERLAB_RUN_DIR": str(job_dir),
            "HYPERLAB_STORE": target.store.url,
        }
        spec = JobSpec(job_name, job_dir, env)
        spec.script.write_text(script, encoding="utf-8")
        spec.script.chmod(0o755)
        spec.wrapper.write_text(render_wrapper(spec))
        specs.append(spec)
        run_ids.append(run_id)
    try:
        job_ids = chosen.submit(
            specs, resources=resources, array=array, max_parallel=max_parallel, batch_dir=batch_dir
        )
    except BaseException:
        from hyperlab.store import jobs as job_rows

        job_rows.finish_job_runs(
            target.store, [(r, RunState.FAILED, time.time()) for r in run_ids]
        )
        raise
    rows = []
    for i, (spec, job_id, run_id, params) in enumerate(
        zip(specs, job_ids, run_ids, points, strict=True)
    ):
        rows.append(
            {
                "study_id": target.id,
                "run_id": run_id,
                "batch": batch,
                "launcher": chosen.name,
                "job_id": job_id,
                "array_index": i if array else None,
                "name": spec.name,
                "state": "PENDING",
                "work_dir": str(spec.job_dir),
                "params": params,
            }
        )
    keys = add_jobs(target.store, rows)
    return jobs_frame(target.store, keys)


def _check_unique(names: Sequence[str]) -> None:
    seen: set[str] = set()
    dupes = sorted({n for n in names if n in seen or seen.add(n)})  # type: ignore[func-returns-value]
    if dupes:
        raise InvalidValueError(
            f"job names are not unique: {', '.join(dupes[:5])} repeat; add more params or "
            "{hash} to the name format"
        )
