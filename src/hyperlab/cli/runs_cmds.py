"""Commands on runs: ``ls``, ``show``, ``export``, ``tag``, ``rm``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from hyperlab.cli.context import CliContext, format_option

DEFAULT_TABLE_LIMIT = 50


def _select(
    obj: CliContext,
    expr: str | None,
    studies: tuple[str, ...],
    sort: str | None,
    limit: int | None,
) -> tuple[Any, Any, Any]:
    from hyperlab.querying.selection import (
        build_context,
        default_sort,
        refresh_states,
        select_ids,
        select_studies,
    )
    from hyperlab.querying.table import collect

    store = obj.store()
    refresh_states(store)
    records = select_studies(store, list(studies) or None)
    ctx = build_context(store, records)
    ids = (
        select_ids(store, expr, records, ctx, sort or default_sort(records), limit)
        if records
        else []
    )
    return collect(store, ids, ctx), records, ctx


@click.command("ls")
@click.argument("expr", required=False)
@click.option(
    "--study",
    "-s",
    "studies",
    multiple=True,
    help="Only this study (name or name@version); repeatable.",
)
@click.option("--sort", help='Sort keys, "-" for descending: "-val_acc,lr". Default: best first.')
@click.option(
    "--limit",
    "-n",
    type=int,
    default=None,
    help=f"At most N runs (tables default to {DEFAULT_TABLE_LIMIT}; 0 = all).",
)
@click.option("--columns", "-c", help="Comma-separated columns (lr, val_acc, params.x, state...).")
@click.option("--all-params", is_flag=True, help="Show every param, not only those that vary.")
@click.option(
    "--group-by",
    type=click.Choice(["config"]),
    help="One row per configuration (seed ignored): mean, std and count of each metric.",
)
@format_option
@click.pass_obj
def ls_cmd(
    obj: CliContext,
    expr: str | None,
    studies: tuple[str, ...],
    sort: str | None,
    limit: int | None,
    columns: str | None,
    all_params: bool,
    group_by: str | None,
    fmt: str,
) -> None:
    """List runs matching EXPR, best first.

    \b
    EXPR uses the query language (see docs/query.md), e.g.
      hyperlab ls 'lr < 0.01 and optim.name in ["adam", "sgd"] and val_acc > 0.9'
      hyperlab ls 'tags contains "baseline"' --sort -val_acc -n 5 --format csv
    """
    from hyperlab.cli.render import render

    if limit is None and fmt == "table":
        limit = DEFAULT_TABLE_LIMIT
    if group_by:
        _ls_configs(obj, expr, studies, sort, limit or None, fmt)
        return
    table, _records, _ctx = _select(obj, expr, studies, sort, limit or None)
    if columns:
        chosen = _resolve(table.columns, [c.strip() for c in columns.split(",") if c.strip()])
    else:
        params = table.param_columns if all_params else table.varying(table.param_columns)
        # Forks and resumed chains show their parent run id (lineage at a glance).
        lineage = ["parent"] if any(p is not None for p in table.columns["parent"]) else []
        chosen = ["state", *lineage, *params, *table.metric_columns, "tags", "started", "duration"]
    headers = ["run", *[_short(c) for c in chosen]]
    refs = [
        f"{s}/{n}" for s, n in zip(table.columns["study"], table.columns["number"], strict=True)
    ]
    rows = [[refs[i], *[table.columns[c][i] for c in chosen]] for i in range(len(table.ids))]
    if fmt != "table":
        headers = ["run_id", "run", *chosen]
        rows = [[table.ids[i], *row] for i, row in enumerate(rows)]
    text = render(headers, rows, fmt, title=None if rows else "no runs match")
    if text is not None:
        click.echo(text, nl=not text.endswith("\n"))


def _ls_configs(
    obj: CliContext,
    expr: str | None,
    studies: tuple[str, ...],
    sort: str | None,
    limit: int | None,
    fmt: str,
) -> None:
    """``ls --group-by config``: configurations in the order of their best run."""
    from hyperlab.cli.render import render
    from hyperlab.querying.frames import query

    frame = query(expr, study=list(studies) or None, sort=sort, store=obj.store(),
                  group_by="config")  # fmt: skip
    if limit:
        frame = frame.head(limit)
    params = [c for c in frame.columns if c.startswith("params.")]
    if fmt == "table":
        params = [c for c in params if frame[c].astype(str).nunique() > 1] or params
    stats = [c for c in frame.columns if c.startswith("metrics.")]
    if fmt == "table":  # mean, std and count say enough on a screen
        stats = [c for c in stats if c.rsplit(".", 1)[1] in ("mean", "std", "count")]
    chosen = [*params, "runs", *stats]
    headers = ["config", *[c.split(".", 1)[1] if c != "runs" else c for c in chosen]]
    rows = [
        [str(config)[:8] if fmt == "table" else str(config)]
        + [None if _missing(v) else v for v in values]
        for config, values in zip(frame.index, frame[chosen].itertuples(index=False), strict=True)
    ]
    text = render(headers, rows, fmt, title=None if rows else "no runs match")
    if text is not None:
        click.echo(text, nl=not text.endswith("\n"))


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _short(column: str) -> str:
    return column.split(".", 1)[1] if column.startswith(("params.", "metrics.")) else column


def _resolve(available: dict[str, Any], names: list[str]) -> list[str]:
    from hyperlab.errors import InvalidValueError

    chosen = []
    for name in names:
        for candidate in (name, f"params.{name}", f"metrics.{name}"):
            if candidate in available:
                chosen.append(candidate)
                break
        else:
            valid = ", ".join(sorted(available))
            raise InvalidValueError(f"unknown column {name!r}; available: {valid}")
    return chosen


@click.command("show")
@click.argument("run")
@click.option("--study", "-s", help="Study for 'last' / 'best'.")
@format_option
@click.pass_obj
def show_cmd(obj: CliContext, run: str, study: str | None, fmt: str) -> None:
    """Show one run: params (defaults marked), metric summaries, metadata, error.

    RUN is a run id (42), STUDY/N (mnist/3), 'last' or 'best'.
    """
    from hyperlab.cli.show import show_run

    store = obj.store()
    run_id = store.resolve_run(run, study)
    show_run(store, run_id, fmt)


@click.command("export")
@click.argument("expr", required=False)
@click.option("--study", "-s", "studies", multiple=True, help="Only this study; repeatable.")
@click.option("--sort", help="Sort keys (default: best first).")
@click.option("--limit", "-n", type=int, default=None, help="At most N runs.")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Output file: .csv, .json or .parquet.",
)
@click.pass_obj
def export_cmd(
    obj: CliContext,
    expr: str | None,
    studies: tuple[str, ...],
    sort: str | None,
    limit: int | None,
    output: Path,
) -> None:
    """Export runs matching EXPR (params, metric summaries, fields) to a file."""
    from hyperlab.errors import InvalidValueError
    from hyperlab.querying.frames import query

    suffix = output.suffix.lower()
    if suffix not in {".csv", ".json", ".parquet"}:
        raise InvalidValueError(
            f"cannot export to {output.name!r}: use a .csv, .json or .parquet file name"
        )
    frame = query(expr, study=list(studies) or None, sort=sort, limit=limit, store=obj.store())
    if suffix == ".csv":
        frame.to_csv(output)
    elif suffix == ".json":
        frame.reset_index().to_json(output, orient="records", date_format="iso", indent=2)
    else:
        try:
            frame.to_parquet(output)
        except ImportError:
            raise InvalidValueError(
                "parquet export needs pyarrow: pip install 'hyperlab[parquet]'"
            ) from None
    click.echo(f"wrote {len(frame)} runs to {output}", err=True)


@click.command("tag", context_settings={"ignore_unknown_options": True})
@click.argument("run")
@click.argument("changes", nargs=-1, required=True, type=click.UNPROCESSED)
@click.pass_obj
def tag_cmd(obj: CliContext, run: str, changes: tuple[str, ...]) -> None:
    """Add (+x or x) and remove (-x) tags of RUN: hyperlab tag mnist/3 +best -draft."""
    store = obj.store()
    run_id = store.resolve_run(run)
    add = [c[1:] if c.startswith("+") else c for c in changes if not c.startswith("-")]
    remove = [c[1:] for c in changes if c.startswith("-")]
    store.change_tags(run_id, add=add, remove=remove)
    record = store.get_run(run_id)
    click.echo(f"{record.ref}: {', '.join(record.tags) or '(no tags)'}")


@click.command("rm")
@click.argument("runs", nargs=-1, required=True)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def rm_cmd(obj: CliContext, runs: tuple[str, ...], yes: bool) -> None:
    """Delete runs (with their metrics, params and tags; run directories stay on disk)."""
    store = obj.store()
    ids = [store.resolve_run(r) for r in runs]
    records = store.get_runs(ids)
    listing = ", ".join(r.ref for r in records)
    if not yes:
        click.confirm(f"Delete {len(records)} run(s): {listing}?", abort=True)
    deleted = store.delete_runs(ids)
    click.echo(f"deleted {deleted} run(s): {listing}")


COMMANDS = [ls_cmd, show_cmd, export_cmd, tag_cmd, rm_cmd]
