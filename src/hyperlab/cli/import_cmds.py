"""``hyperlab import hydra``: bring runs recorded elsewhere into the store."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from hyperlab.cli.context import CliContext

if TYPE_CHECKING:
    from hyperlab.importers import ImportReport


@click.group("import")
def import_group() -> None:
    """Import runs recorded by other tools (Hydra output folders)."""


def _summary(report: ImportReport) -> str:
    parts = [f"imported {report.imported} run(s)", f"{report.existing} already there"]
    if report.pending:
        parts.append(f"{report.pending} waiting for metric files")
    if report.skipped:
        parts.append(f"{report.skipped} skipped (see warnings)")
    return ", ".join(parts)


@import_group.command("hydra")
@click.argument("directory", type=click.Path(file_okay=False, dir_okay=True))
@click.option("--study", "-s", "study_name", required=True, help="Study to import into.")
@click.option("--version", "version", default=None, help="Study version.")
@click.option(
    "--metrics",
    "-m",
    multiple=True,
    metavar="PATTERN",
    help="Metric file(s) in each run folder, glob relative to it (repeatable): a JSON dict, "
    "JSON lines, a CSV/whitespace table with a step column, or .npy curves.",
)
@click.option(
    "--include-incomplete",
    is_flag=True,
    help="Also import runs that have no metric file yet (default: wait for it).",
)
@click.option("--resolve", is_flag=True, help="Resolve ${...} interpolations in configs.")
@click.option("--strict", is_flag=True, help="Fail on an unreadable run instead of warning.")
@click.option(
    "--logic",
    type=click.Choice(["auto", "multirun", "singlerun"]),
    default="auto",
    show_default=True,
    help="Which Hydra layout to import.",
)
@click.option("--watch", is_flag=True, help="Keep importing new runs as a sweep progresses.")
@click.option(
    "--interval",
    type=click.FloatRange(min=0),
    default=10.0,
    show_default=True,
    help="Seconds between passes with --watch.",
)
@click.option(
    "--watch-iterations",
    type=click.IntRange(min=1),
    default=None,
    help="Stop --watch after this many passes (default: until Ctrl-C or --timeout).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    default=None,
    help="Stop --watch after about this many seconds.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Output format of the summary.",
)
@click.pass_obj
def import_hydra_cmd(
    obj: CliContext,
    directory: str,
    study_name: str,
    version: str | None,
    metrics: tuple[str, ...],
    include_incomplete: bool,
    resolve: bool,
    strict: bool,
    logic: str,
    watch: bool,
    interval: float,
    watch_iterations: int | None,
    timeout: float | None,
    fmt: str,
) -> None:
    """Import the Hydra runs under DIRECTORY into a study (idempotent).

    Each run becomes a completed run: params from .hydra/config.yaml, tags from the overrides,
    the run folder as run directory, metrics from the --metrics files. Runs already imported
    (same folder, same config) are left alone, so importing again is safe.

    \b
    Examples:
      hyperlab import hydra multirun --study mnist --metrics results.json
      hyperlab import hydra multirun/2024-05-01/13-45-00 --study mnist -m 'metrics.csv'
      hyperlab import hydra multirun --study mnist -m results.json --watch --interval 30
    """
    from hyperlab.importers import import_hydra, watch_hydra
    from hyperlab.tracking.study import study as get_study

    store = obj.store()
    target = get_study(study_name, version=version, store=store)
    options = {
        "metrics": list(metrics),
        "logic": logic,
        "resolve": resolve,
        "strict": strict,
        "include_incomplete": include_incomplete,
    }
    if not watch:
        report = import_hydra(directory, target, **options)  # type: ignore[arg-type]
    else:

        def progress(current: ImportReport) -> None:
            if fmt == "table" and (current.imported or current.skipped):
                click.echo(_summary(current))

        report = watch_hydra(
            directory,
            target,
            interval_s=interval,
            iterations=watch_iterations,
            timeout_s=timeout,
            on_pass=progress,
            **options,
        )
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "study": target.record.label,
                    "imported": report.imported,
                    "existing": report.existing,
                    "pending": report.pending,
                    "skipped": report.skipped,
                    "run_ids": report.run_ids,
                }
            )
        )
    else:
        click.echo(f"{target.record.label}: {_summary(report)}")


COMMANDS = [import_group]
