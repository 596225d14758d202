"""The ``hyperlab`` command: parse arguments, call one library function, render the result.

Commands import what they need inside their bodies so that ``hyperlab --help`` loads neither
SQLAlchemy nor pandas.
"""

from __future__ import annotations

import os
from typing import Any

import click

from hyperlab import __version__
from hyperlab.cli.context import CliContext, HyperlabGroup


@click.group(
    cls=HyperlabGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--store",
    "store_url",
    metavar="URL",
    default=None,
    help="Store URL or SQLite path (default: $HYPERLAB_STORE, else the nearest .hyperlab/).",
)
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.version_option(__version__, prog_name="hyperlab")
@click.pass_context
def cli(ctx: click.Context, store_url: str | None, debug: bool) -> None:
    """hyperlab: track, query, compare and run machine-learning experiments.

    \b
    Examples:
      hyperlab ls --study mnist --sort -val_acc --limit 10
      hyperlab ls 'lr < 0.01 and optim.name in ["adam", "sgd"]'
      hyperlab show mnist/3
      hyperlab export 'state == "completed"' -o runs.csv
    """
    ctx.obj = CliContext(
        store_url=store_url, debug=debug or os.environ.get("HYPERLAB_DEBUG") == "1"
    )


def _register() -> None:
    from hyperlab.cli import (
        db_cmds,
        defaults_cmds,
        exec_cmds,
        import_cmds,
        jobs_cmds,
        plot_cmds,
        queue_cmds,
        resume_cmds,
        runs_cmds,
        search_cmds,
        study_cmds,
        sweep_cmds,
        ui_cmds,
    )

    for module in (
        runs_cmds,
        study_cmds,
        db_cmds,
        exec_cmds,
        queue_cmds,
        resume_cmds,
        search_cmds,
        plot_cmds,
        ui_cmds,
        jobs_cmds,
        import_cmds,
        defaults_cmds,
        sweep_cmds,
    ):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def main(argv: list[str] | None = None) -> Any:
    """Entry point of the ``hyperlab`` console script and ``python -m hyperlab``."""
    return cli.main(args=argv, prog_name="hyperlab")
