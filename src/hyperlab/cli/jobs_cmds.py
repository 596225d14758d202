"""``hyperlab submit`` (a job script per point of a space), ``hyperlab jobs ls|status|cancel``."""

from __future__ import annotations

from typing import Any

import click

from hyperlab.cli.context import CliContext, format_option

SHOWN = ("job_key", "job_name", "job_id", "state", "exit_code", "node", "runtime", "reason")


def _print_jobs(frame: Any, fmt: str, *, with_params: bool = True) -> None:
    from hyperlab.cli.render import render

    if frame.empty:
        text = render(list(SHOWN), [], fmt, title="no jobs")
    else:
        skip = {"work_dir", "stdout", "stderr", "launcher", "study", "run_id", "array_index"}
        params = [c for c in frame.columns if c not in SHOWN and c not in skip]
        headers = [*SHOWN, "study", "launcher", "work_dir"]
        if with_params or fmt != "table":
            headers += params
        rows = [[_cell(row.get(h)) for h in headers] for row in frame.to_dict("records")]
        if fmt == "table":
            from hyperlab.cli.render import human_duration

            at = headers.index("runtime")
            for row_cells in rows:
                if isinstance(row_cells[at], (int, float)):
                    row_cells[at] = human_duration(float(row_cells[at]))
        text = render(headers, rows, fmt)
    if text is not None:
        click.echo(text, nl=not text.endswith("\n"))


def _cell(value: Any) -> Any:
    """NaN (pandas' missing value) becomes None; numpy scalars become Python ones."""
    if value is None:
        return None
    if isinstance(value, float) and value != value:
        return None
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def _resources(pairs: tuple[str, ...]) -> dict[str, str]:
    resources: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--resource")
        resources[key.strip()] = value.strip()
    return resources


@click.command("submit")
@click.argument("template")
@click.option("--name", "-n", "name_format", required=True, help='Job name format: "mlp_{lr}".')
@click.option("--space", required=True, help='The space: "lr=[0.1,0.01] layers=[2,3]".')
@click.option(
    "--launcher",
    "-l",
    type=click.Choice(["local", "slurm", "torque"]),
    default="local",
    show_default=True,
    help="Where jobs run.",
)
@click.option(
    "--work-dir", "-w", default=".", show_default=True, help="Jobs go in WORK_DIR/NAME/."
)
@click.option(
    "--resource", "-r", "resources", multiple=True, help="KEY=VALUE, e.g. time=60 cpus=4."
)
@click.option("--array", is_flag=True, help="Submit as one array job (Slurm).")
@click.option(
    "--max-parallel", type=click.IntRange(min=1), default=None, help="At most K at once."
)
@click.option("--study", "-s", default="jobs", show_default=True, help="Study of the jobs' runs.")
@format_option
@click.pass_obj
def submit_cmd(
    obj: CliContext,
    template: str,
    name_format: str,
    space: str,
    launcher: str,
    work_dir: str,
    resources: tuple[str, ...],
    array: bool,
    max_parallel: int | None,
    study: str,
    fmt: str,
) -> None:
    """Fill the job script TEMPLATE (a file) for each point of a space and submit the jobs.

    \b
    The template and --name are Python format strings with the params, {job_name} and {hash};
    values are shell-quoted. Each job runs in WORK_DIR/NAME/ and is also a tracked run.

    \b
    Examples:
      hyperlab submit job.sh --name 'mlp_{lr}_{layers}' --space 'lr=[0.1,0.01] layers=[2,3]'
      hyperlab submit job.sh -n 'j_{hash}' --space 'lr=[0.1,0.01]' -l slurm -r time=60 --array
    """
    from hyperlab.execute.launchers.submit import submit
    from hyperlab.space import parse_space

    frame = submit(
        _template_path(template),
        name_format,
        parse_space(space),
        launcher=launcher,
        work_dir=work_dir,
        resources=_resources(resources),
        array=array,
        max_parallel=max_parallel,
        study=study,
        store=obj.store(),
    )
    _print_jobs(frame, fmt)


def _template_path(template: str) -> Any:
    from pathlib import Path

    from hyperlab.errors import InvalidValueError

    path = Path(template)
    if not path.is_file():
        raise InvalidValueError(f"template file {template!r} does not exist")
    return path


@click.group("jobs")
def jobs_group() -> None:
    """Jobs submitted with ``hyperlab submit`` / ``hl.submit`` / ``hl.launch_workers``."""


def _study_ids(obj: CliContext, study: str | None) -> list[int] | None:
    if study in (None, "all"):
        return None
    store = obj.store()
    return [s.id for s in store.list_studies() if s.name == study or s.label == study]


def _selected(obj: CliContext, study: str | None, states: tuple[str, ...]) -> list[int]:
    from hyperlab.store.jobs import list_jobs

    ids = _study_ids(obj, study)
    if ids == []:
        from hyperlab.errors import StudyNotFoundError

        raise StudyNotFoundError(f"no study named {study!r}; see: hyperlab studies")
    records = list_jobs(obj.store(), study_ids=ids, states=[s.upper() for s in states] or None)
    return [r.id for r in records]


_STATE_OPTION = click.option(
    "--state",
    "states",
    multiple=True,
    help="Only jobs in this state (PENDING, RUNNING, COMPLETED, FAILED, ...); repeatable.",
)


@jobs_group.command("ls")
@click.argument("study", required=False)
@_STATE_OPTION
@format_option
@click.pass_obj
def jobs_ls(obj: CliContext, study: str | None, states: tuple[str, ...], fmt: str) -> None:
    """List jobs as last seen (no polling; see ``jobs status``)."""
    from hyperlab.execute.launchers.status import jobs_frame

    _print_jobs(jobs_frame(obj.store(), _selected(obj, study, states)), fmt, with_params=False)


@jobs_group.command("status")
@click.argument("study", required=False)
@_STATE_OPTION
@format_option
@click.pass_obj
def jobs_status(obj: CliContext, study: str | None, states: tuple[str, ...], fmt: str) -> None:
    """Ask the scheduler about unfinished jobs, record the answers, and list the jobs."""
    from hyperlab.execute.launchers.status import job_status

    keys = _selected(obj, study, states)
    _print_jobs(job_status(keys, store=obj.store()), fmt, with_params=False)


@jobs_group.command("cancel")
@click.argument("study", required=False)
@click.option("--job", "-j", "job_keys", type=int, multiple=True, help="Only this job key.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@format_option
@click.pass_obj
def jobs_cancel(
    obj: CliContext, study: str | None, job_keys: tuple[int, ...], yes: bool, fmt: str
) -> None:
    """Cancel unfinished jobs (of STUDY, or those given with --job)."""
    from hyperlab.execute.launchers.status import cancel

    keys = list(job_keys) or _selected(obj, study, ("PENDING", "RUNNING", "UNKNOWN"))
    if not keys:
        click.echo("no unfinished jobs", err=True)
        return
    if not yes:
        click.confirm(f"cancel {len(keys)} job(s)?", abort=True, err=True)
    _print_jobs(cancel(keys, store=obj.store()), fmt, with_params=False)


@jobs_group.command("output")
@click.argument("study", required=False)
@click.option("--job", "-j", "job_keys", type=int, multiple=True, help="Only this job key.")
@click.option("--tail", "-t", type=int, default=20, show_default=True, help="Lines per stream.")
@_STATE_OPTION
@click.pass_obj
def jobs_output(
    obj: CliContext, study: str | None, job_keys: tuple[int, ...], tail: int,
    states: tuple[str, ...],
) -> None:  # fmt: skip
    """Print the last lines of each job's stdout and stderr."""
    from hyperlab.execute.launchers.status import job_output

    keys = list(job_keys) or _selected(obj, study, states)
    frame = job_output(keys, tail=tail, store=obj.store())
    for row in frame.to_dict("records"):
        click.secho(f"== {row['job_name']} ({row['state']})", bold=True)
        for stream in ("stdout", "stderr"):
            text = row.get(stream)
            if text:
                click.echo(f"-- {stream}")
                click.echo(text, nl=not str(text).endswith("\n"))


@jobs_group.command("metrics")
@click.argument("study", required=False)
@click.option("--job", "-j", "job_keys", type=int, multiple=True, help="Only this job key.")
@_STATE_OPTION
@format_option
@click.pass_obj
def jobs_metrics(
    obj: CliContext, study: str | None, job_keys: tuple[int, ...], states: tuple[str, ...],
    fmt: str,
) -> None:  # fmt: skip
    """Each job's metrics rows (its *.metrics or CSV files) joined to its params."""
    from hyperlab.cli.render import render
    from hyperlab.execute.launchers.metrics import job_metrics

    keys = list(job_keys) or _selected(obj, study, states)
    frame = job_metrics(keys, store=obj.store())
    headers = [str(c) for c in frame.columns]
    rows = [[_cell(v) for v in row] for row in frame.itertuples(index=False)]
    text = render(headers, rows, fmt, title=None if rows else "no jobs")
    if text is not None:
        click.echo(text, nl=not text.endswith("\n"))


COMMANDS = [submit_cmd, jobs_group]
