"""Commands that execute things: ``run`` (track any command) and ``worker`` (drain the queue)."""

from __future__ import annotations

import sys

import click

from hyperlab.cli.context import CliContext


@click.command(
    "run",
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@click.option("--study", "-s", default=None, help="Study name (default: the script's name).")
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="KEY=VALUE",
    help="A param (wins over the command's own arguments); repeatable.",
)
@click.option("--tag", "-t", "tags", multiple=True, help="A tag for the run; repeatable.")
@click.option("--name", default=None, help="A human name for the run.")
@click.option("--quiet", "-q", is_flag=True, help="Do not echo the command's output.")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@click.pass_obj
def run_cmd(
    obj: CliContext,
    study: str | None,
    assignments: tuple[str, ...],
    tags: tuple[str, ...],
    name: str | None,
    quiet: bool,
    command: tuple[str, ...],
) -> None:
    """Run COMMAND as a tracked run; exits with the command's exit code.

    \b
    Params come from --set and the command's --key value, --key=value and key=value
    arguments. Output is shown live and saved as stdout.log/stderr.log in the run directory.
    Metrics come from JSON lines on stdout ({"step": 3, "loss": 0.12}), from the file named by
    $HYPERLAB_METRICS, and from *.metrics tables left in $HYPERLAB_RUN_DIR.

    \b
    Examples:
      hyperlab run -- python train.py --lr 0.1 --layers 3
      hyperlab run --study mnist --set seed=1 -- python train.py optim=adam
    """
    from hyperlab.execute.argv_params import parse_assignments
    from hyperlab.execute.runner import track_command

    argv = list(command)
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        raise click.UsageError("no command given; e.g. hyperlab run -- python train.py --lr 0.1")
    result = track_command(
        argv,
        study=study,
        params=parse_assignments(assignments),
        store=obj.store(),
        tags=tags,
        name=name,
        echo=not quiet,
    )
    click.echo(
        f"hyperlab: run {result.run_id} {result.state.value} (exit code {result.exit_code})",
        err=True,
    )
    sys.exit(result.shell_exit_code)


@click.command("worker")
@click.option(
    "--study", "-s", "studies", multiple=True, help="Only runs of this study; repeatable."
)
@click.option("--max-runs", type=click.IntRange(min=0), default=None, help="Stop after N runs.")
@click.option(
    "--idle-exit-s",
    type=click.FloatRange(min=0),
    default=None,
    help="Stop once the queue has been empty this many seconds (default: wait forever).",
)
@click.option(
    "--lease-s",
    type=click.FloatRange(min=0.1),
    default=None,
    help="Lease length; a dead worker's run is re-queued after at most this long. [120]",
)
@click.option("--quiet", "-q", is_flag=True, help="Do not echo the output of commands.")
@click.pass_obj
def worker_cmd(
    obj: CliContext,
    studies: tuple[str, ...],
    max_runs: int | None,
    idle_exit_s: float | None,
    lease_s: float | None,
    quiet: bool,
) -> None:
    """Claim queued runs one at a time and run them until the queue is drained.

    \b
    Start as many as you like, on any machine that reaches the store. SIGTERM (scancel,
    pre-emption) interrupts the current run and puts it back in the queue.

    \b
    Examples:
      hyperlab worker --study mnist --idle-exit-s 60
      hyperlab --store postgresql://u:p@db/hl worker --max-runs 10
    """
    from hyperlab.execute.worker import DEFAULT_LEASE_S, worker

    report = worker(
        list(studies) or None,
        store=obj.store(),
        max_runs=max_runs,
        idle_exit_s=idle_exit_s,
        lease_s=lease_s if lease_s is not None else DEFAULT_LEASE_S,
        echo=not quiet,
    )
    click.echo(f"hyperlab: {report}", err=True)


COMMANDS = [run_cmd, worker_cmd]
