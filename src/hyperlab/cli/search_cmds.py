"""Search commands: ``best`` (the best runs of a study and their effective params).

``hyperlab defaults`` (in ``defaults_cmds.py``) calls ``study.set_default`` from the search layer.
"""

from __future__ import annotations

import click

from hyperlab.cli.context import CliContext, format_option


@click.command("best")
@click.argument("study")
@click.option("--metric", "-m", default=None, help="Rank by this metric (default: the main one).")
@click.option(
    "--direction",
    type=click.Choice(["min", "max"]),
    default=None,
    help="Direction of --metric when the study declares none.",
)
@click.option(
    "--n", "n", type=click.IntRange(min=1), default=5, show_default=True, help="How many runs."
)
@click.option("--version", "version", default=None, help="Study version (default: newest).")
@format_option
@click.pass_obj
def best_cmd(
    obj: CliContext,
    study: str,
    metric: str | None,
    direction: str | None,
    n: int,
    version: str | None,
    fmt: str,
) -> None:
    """Show the N best completed runs of STUDY with their effective params.

    STUDY may be NAME or NAME@VERSION. Params include the study's defaults, so the first row is
    what to use in production (``study.best_params()`` in Python).
    """
    from hyperlab.cli.render import render
    from hyperlab.search.results import ranked_trials
    from hyperlab.search.target import resolve_target
    from hyperlab.tracking.study import Study

    name, _, at_version = study.partition("@")
    record = obj.store().get_study(name, at_version or version)
    handle = Study(obj.store(), record)
    target = resolve_target(handle, metric, direction)
    ranked = ranked_trials(handle, target.metrics[0], target.directions[0])
    ranked = [t for t in ranked if t.objective(target.metrics) is not None][:n]
    keys = sorted({k for t in ranked for k in t.params})
    headers = ["run", "number", target.metrics[0], *keys]
    rows = [
        [
            f"{record.name}/{t.number}",
            t.number,
            t.values.get(target.metrics[0]),
            *[t.params.get(k) for k in keys],
        ]
        for t in ranked
    ]
    arrow = "lowest" if target.directions[0] == "min" else "highest"
    title = f"{record.label}: {arrow} {target.metrics[0]}" if rows else "no completed runs"
    text = render(headers, rows, fmt, title=title)
    if text is not None:
        click.echo(text, nl=not text.endswith("\n"))


COMMANDS = [best_cmd]
