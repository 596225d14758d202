"""``hyperlab sweep``: enqueue a search, start workers, show live progress until it drains."""

from __future__ import annotations

import shlex
import string
import sys
from typing import TYPE_CHECKING

import click

from hyperlab.cli.context import CliContext

if TYPE_CHECKING:
    from hyperlab.execute.sweep import Sweep, SweepStatus


def command_template(words: list[str]) -> str:
    """A command template from argv words: literal text shell-quoted, ``{fields}`` kept.

    ``["python", "my script.py", "--lr={lr}"]`` -> ``"python 'my script.py' --lr={lr}"``.
    """
    parts = []
    for word in words:
        pieces = []
        try:
            parsed = list(string.Formatter().parse(word))
        except ValueError as err:
            raise click.BadParameter(f"bad template word {word!r}: {err}") from None
        for literal, field, spec, conversion in parsed:
            if literal:
                pieces.append(shlex.quote(literal).replace("{", "{{").replace("}", "}}"))
            if field is not None:
                text = field + (f"!{conversion}" if conversion else "")
                pieces.append("{" + text + (f":{spec}" if spec else "") + "}")
        parts.append("".join(pieces) or "''")
    return " ".join(parts)


def _render(status: SweepStatus) -> str:
    text = str(status)
    if status.workers_active is not None:
        text += f"  workers {status.workers_active}"
    return text


def follow(sw: Sweep, poll_s: float) -> SweepStatus:
    """Show a live progress bar until the sweep ends; returns the last status."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from hyperlab.cli.context import console

    last = sw.status()
    columns = (
        TextColumn("[bold]sweep"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console(stderr=True), transient=False) as progress:
        task = progress.add_task("sweep", total=max(last.total, 1), status=_render(last))
        for status in sw.watch(poll_s):
            last = status
            progress.update(task, completed=status.ended, status=_render(status))
    return last


@click.command("sweep", context_settings={"ignore_unknown_options": True})
@click.argument("study")
@click.option(
    "--space",
    required=True,
    help='The space in text form, e.g. "lr=loguniform(1e-5,1e-1) bs=[16,32]".',
)
@click.option(
    "--sampler",
    type=click.Choice(["grid", "random", "tpe", "cmaes", "gp", "nsga2"]),
    default="grid",
    show_default=True,
    help="grid/random choose every point now; the others when a worker claims a run.",
)
@click.option("--n", "n", type=click.IntRange(min=1), default=None, help="How many runs.")
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="Worker jobs to start (0: only enqueue and watch).",
)
@click.option(
    "--launcher",
    type=click.Choice(["local", "slurm", "torque"]),
    default="local",
    show_default=True,
    help="How workers start (slurm: one array job).",
)
@click.option(
    "--template",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Worker job script template with {command} where the worker starts.",
)
@click.option(
    "--resource",
    "resources",
    multiple=True,
    metavar="KEY=VALUE",
    help="Scheduler resource per worker (e.g. time=240, cpus=4); repeatable.",
)
@click.option(
    "--work-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Where worker job directories go (shared on clusters). [next to the runs dir]",
)
@click.option("--function", default=None, help="Queue package.module:fn instead of a command.")
@click.option("--metric", default=None, help="Metric to optimise and report (default: main).")
@click.option("--direction", type=click.Choice(["min", "max"]), default=None)
@click.option("--seed", type=int, default=None, help="Seed for reproducible sampling.")
@click.option(
    "--idle-exit-s",
    type=click.FloatRange(min=0),
    default=60.0,
    show_default=True,
    help="Workers stop once the queue has been empty this long.",
)
@click.option("--lease-s", type=click.FloatRange(min=0.1), default=None, help="Claim lease.")
@click.option("--no-watch", is_flag=True, help="Enqueue and start workers, then return.")
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
@click.pass_obj
def sweep_cmd(
    obj: CliContext,
    study: str,
    space: str,
    sampler: str,
    n: int | None,
    workers: int,
    launcher: str,
    template: str | None,
    resources: tuple[str, ...],
    work_dir: str | None,
    function: str | None,
    metric: str | None,
    direction: str | None,
    seed: int | None,
    idle_exit_s: float,
    lease_s: float | None,
    no_watch: bool,
    command: tuple[str, ...],
) -> None:
    """Queue a search of STUDY, start workers and follow it until every run ended.

    \b
    The command after -- is a template: {name} fields are filled with each run's params
    (values shell-quoted). Ctrl-C stops watching and leaves the queue intact; resume with
    `hyperlab worker --study STUDY`. Exits 0 when every run completed, 1 otherwise.

    \b
    Examples:
      hyperlab sweep mnist --space "lr=loguniform(1e-5,1e-1) bs=[16,32]" \\
          --sampler tpe --n 50 --workers 4 -- python train.py --lr {lr} --bs {bs}
      hyperlab --store postgresql+psycopg://u:p@db/hl sweep mnist --space "lr=[0.1,0.01]" \\
          --launcher slurm --workers 64 --resource time=240 -- python train.py --lr {lr}
    """
    from hyperlab.execute.argv_params import parse_assignments
    from hyperlab.execute.sweep import sweep

    words = list(command)
    if words and words[0] == "--":
        words = words[1:]
    if bool(words) == bool(function):
        raise click.UsageError(
            "give a command after -- (e.g. -- python train.py --lr {lr}) or --function, not both"
        )
    sw: Sweep | None = None
    try:
        sw = sweep(
            study,
            space,
            command=command_template(words) if words else None,
            function=function,
            sampler=sampler,
            n=n,
            workers=workers,
            launcher=launcher,
            template=template,
            resources=parse_assignments(resources) or None,
            work_dir=work_dir,
            metric=metric,
            direction=direction,
            seed=seed,
            idle_exit_s=idle_exit_s,
            lease_s=lease_s,
            store=obj.store(),
        )
        click.echo(f"hyperlab: {sw.enqueued}; {workers} {launcher} worker(s) started", err=True)
        if no_watch or not sw.run_ids:
            return
        last = follow(sw, poll_s=0.5)
    except KeyboardInterrupt:
        _interrupted(sw, study)
        sys.exit(130)
    click.echo(f"hyperlab: sweep of {study}: {last}", err=True)
    if last.stalled:
        click.echo(
            f"hyperlab: every worker has exited with runs left; resume with: {sw.resume_hint}",
            err=True,
        )
    sys.exit(0 if last.done == last.total else 1)


def _interrupted(sw: Sweep | None, study: str) -> None:
    """What Ctrl-C leaves behind, and how to go on."""
    if sw is None:
        click.echo(
            f"\nhyperlab: interrupted; resume with: hyperlab worker --study {study}", err=True
        )
        return
    status = sw.status()
    click.echo(
        f"\nhyperlab: stopped watching; the queue is intact ({status.queued} queued, "
        f"{status.running} running). Workers already started keep going; resume with: "
        f"{sw.resume_hint}",
        err=True,
    )


COMMANDS = [sweep_cmd]
