"""``hyperlab queue ls|pause|resume|cancel|retry [STUDY] [EXPR]``."""

from __future__ import annotations

import time
from typing import Any

import click

from hyperlab.cli.context import CliContext, format_option


@click.group("queue")
def queue_group() -> None:
    """Inspect and steer the run queue (runs in state queued, filled by study.enqueue).

    \b
    STUDY is a study name (or name@version; "all" for every study); EXPR narrows the runs
    with the query language, e.g.  hyperlab queue pause mnist 'lr > 0.1'
    """


def _queue(obj: CliContext, study: str | None) -> Any:
    from hyperlab.execute.queueing import Queue

    return Queue(None if study in (None, "all") else study, store=obj.store())


def _spec_text(row: dict[str, Any]) -> str:
    spec = row.get("spec") or {}
    if spec.get("kind") == "function":
        return str(spec.get("function"))
    return str(row.get("command") or spec.get("command") or "")


@queue_group.command("ls")
@click.argument("study", required=False)
@click.argument("expr", required=False)
@click.option("--finished", is_flag=True, help="Also list queue runs that have ended.")
@format_option
@click.pass_obj
def ls_cmd(obj: CliContext, study: str | None, expr: str | None, finished: bool, fmt: str) -> None:
    """List queued, paused and running runs in the order workers take them."""
    from hyperlab.cli.render import render

    rows = _queue(obj, study).ls(expr, finished=finished)
    now = time.time()
    headers = [
        "run",
        "state",
        "priority",
        "attempt",
        "worker",
        "lease_left_s",
        "params",
        "executes",
    ]
    table = [
        [
            f"{r['study']}/{r['number']}",
            r["state"],
            r["priority"],
            f"{r['attempt']}/{r['max_attempts']}",
            r["lease_owner"],
            None if r["lease_expires"] is None else round(r["lease_expires"] - now, 1),
            r["params"],
            _spec_text(r),
        ]
        for r in rows
    ]
    text = render(headers, table, fmt, title=None if table else "the queue is empty")
    if text is not None:
        click.echo(text, nl=not text.endswith("\n"))


def _action(name: str, help_text: str) -> click.Command:
    @click.argument("study", required=False)
    @click.argument("expr", required=False)
    @click.pass_obj
    def command(obj: CliContext, /, study: str | None, expr: str | None) -> None:
        count = getattr(_queue(obj, study), name)(expr)
        click.echo(f"{name}: {count} run(s)")

    command.__doc__ = help_text
    return click.command(name)(command)


pause_cmd = _action("pause", "Hold queued runs: workers skip them until `queue resume`.")
resume_cmd = _action("resume", "Let workers claim paused runs again.")
retry_cmd = _action("retry", "Queue failed, lost and interrupted queue runs again.")


@queue_group.command("cancel")
@click.argument("study", required=False)
@click.argument("expr", required=False)
@click.option(
    "--running", is_flag=True, help="Also stop running runs (at their worker's next heartbeat)."
)
@click.pass_obj
def cancel_cmd(obj: CliContext, study: str | None, expr: str | None, running: bool) -> None:
    """Take queued runs out of the queue (they become interrupted; `queue retry` re-queues)."""
    count = _queue(obj, study).cancel(expr, running=running)
    click.echo(f"cancel: {count} run(s)")


for _command in (pause_cmd, resume_cmd, retry_cmd):
    queue_group.add_command(_command)

COMMANDS = [queue_group]
