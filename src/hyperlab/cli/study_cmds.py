"""Commands on studies: ``studies``."""

from __future__ import annotations

import click

from hyperlab.cli.context import CliContext, format_option


@click.command("studies")
@format_option
@click.pass_obj
def studies_cmd(obj: CliContext, fmt: str) -> None:
    """List studies with their runs by state, best value and last activity."""
    from hyperlab.cli.render import render
    from hyperlab.querying.selection import refresh_states

    store = obj.store()
    refresh_states(store)
    overview = store.study_overview()
    states = ["completed", "running", "queued", "failed", "interrupted", "pruned", "lost"]
    headers = [
        "study",
        "version",
        "runs",
        *states,
        "metric",
        "best",
        "last_activity",
        "description",
    ]
    rows = [
        [
            o["study"],
            o["version"],
            o["runs"],
            *[o["by_state"].get(s, 0) for s in states],
            o["metric"],
            o["best"],
            o["last_activity"],
            o["description"],
        ]
        for o in overview
    ]
    if fmt == "table":
        # Hide state columns that are zero everywhere: they are noise in a terminal.
        keep = [i for i, h in enumerate(headers) if h not in states or any(r[i] for r in rows)]
        headers = [headers[i] for i in keep]
        rows = [[r[i] for i in keep] for r in rows]
    text = render(headers, rows, fmt, title=None if rows else "no studies yet")
    if text is not None:
        click.echo(text, nl=not text.endswith("\n"))


COMMANDS = [studies_cmd]
