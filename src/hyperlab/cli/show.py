"""``hyperlab show``: one run in detail."""

from __future__ import annotations

import json
from typing import Any

import click

from hyperlab.cli.render import human, jsonable
from hyperlab.store import Store

ERROR_TAIL_LINES = 15


def run_details(store: Store, run_id: int) -> dict[str, Any]:
    """Everything ``show`` displays, as plain data."""
    from hyperlab.querying.run_view import effective_params, run_fields
    from hyperlab.querying.selection import refresh_states

    refresh_states(store)
    record = store.get_run(run_id)
    study = store.study_by_id(record.study_id)
    params, defaulted = effective_params(record, study)
    return {
        "run_id": record.id,
        "run": record.ref,
        **run_fields(store, record, study),
        "platform": record.platform,
        "params": params,
        "defaulted": defaulted,
        "packages": record.env.get("packages", {}),
    }


def show_run(store: Store, run_id: int, fmt: str) -> None:
    """Print a run as rich panels, JSON or CSV (params and metrics)."""
    details = run_details(store, run_id)
    if fmt == "json":
        click.echo(_json(details))
        return
    if fmt == "csv":
        click.echo("section,key,value")
        for key, value in details["params"].items():
            click.echo(f"param,{_csv(key)},{_csv(value)}")
        for key, summary in details["metrics"].items():
            click.echo(f"metric,{_csv(key)},{_csv(summary['value'])}")
        return
    _print_rich(details, _sparklines(store, run_id))


def _json(details: dict[str, Any]) -> str:
    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return jsonable(value)

    return json.dumps(clean(details), ensure_ascii=False, indent=2)


def _csv(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n') else text


def _sparklines(store: Store, run_id: int) -> dict[str, str]:
    """A small terminal sketch of each metric's curve (empty for single-value metrics)."""
    from hyperlab.viz.series import sparkline

    return {
        p.key: sparkline(p.values.tolist(), width=16) if len(p.values) > 1 else ""
        for p in store.read_points([run_id])
    }


def _print_rich(details: dict[str, Any], sparks: dict[str, str] | None = None) -> None:
    from rich.table import Table
    from rich.text import Text

    from hyperlab.cli.context import console
    from hyperlab.cli.render import STATE_STYLES

    out = console()
    head = Text(f"{details['run']}  (id {details['run_id']})  ", style="bold")
    head.append(details["state"], style=STATE_STYLES.get(details["state"], ""))
    out.print(head)
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    for key in (
        "study",
        "name",
        "started",
        "ended",
        "duration",
        "host",
        "user",
        "command",
        "run_dir",
        "parent",
        "tags",
        "notes",
    ):
        value = details[key]
        if value not in (None, [], ""):
            facts.add_row(key, Text(human(value, key)))
    git = details["git"]
    if git["commit"]:
        dirty = " (dirty: diff saved in run_dir/git.diff)" if git["dirty"] else ""
        facts.add_row("git", Text(f"{git['commit'][:12]} on {git['branch']}{dirty}"))
    out.print(facts)
    params = Table(title="params", title_justify="left", header_style="bold")
    params.add_column("name")
    params.add_column("value")
    for key, value in sorted(details["params"].items()):
        mark = "  (default)" if key in details["defaulted"] else ""
        params.add_row(Text(key), Text(human(value) + mark))
    if details["params"]:
        out.print(params)
    if details["meta"]:
        meta = Table(title="meta", title_justify="left", header_style="bold")
        meta.add_column("name")
        meta.add_column("value")
        for key, value in sorted(details["meta"].items()):
            meta.add_row(Text(key), Text(human(value)))
        out.print(meta)
    if details["metrics"]:
        metrics = Table(title="metrics", title_justify="left", header_style="bold")
        columns = ("name", "value", "last", "min", "max", "best", "best step", "count", "curve")
        for column in columns:
            metrics.add_column(column, justify="left" if column in ("name", "curve") else "right")
        for key, s in details["metrics"].items():
            metrics.add_row(
                Text(key),
                *(
                    Text(human(s[c]))
                    for c in ("value", "last", "min", "max", "best", "best_step", "count")
                ),
                Text((sparks or {}).get(key, ""), style="cyan"),
            )
        out.print(metrics)
    if details["error"]:
        tail = details["error"].rstrip().splitlines()[-ERROR_TAIL_LINES:]
        out.print(Text("error (last lines of the traceback):", style="bold red"))
        out.print(Text("\n".join(tail)))
