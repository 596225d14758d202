"""Commands on lineage and reuse: ``resume``, ``fork``, ``extend``, ``lineage``, ``cache``,
``reproduce`` and ``diff``.

``resume``, ``fork``, ``extend`` and ``reproduce`` queue runs for workers (``hyperlab worker``):
the CLI cannot run a Python training loop itself. A queued fork copies its parent's queue spec;
a run started from a script has none, so its forks are started from Python instead
(``study.open_run(id)``), which the commands say.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from hyperlab.cli.context import CliContext, format_option

if TYPE_CHECKING:
    from hyperlab.store import RunRecord, Store
    from hyperlab.store.lineage import LineageNode


def _echo_text(text: str | None) -> None:
    if text is not None:
        click.echo(text, nl=not text.endswith("\n"))


def _study_of(store: Store, record: RunRecord, name: str | None) -> Any:
    from hyperlab.tracking.study import Study

    if name is None:
        return Study(store, store.study_by_id(record.study_id))
    base, _, version = name.partition("@")
    return Study(store, store.get_or_create_study(base, version or None))


def _no_spec_hint(record: RunRecord, run_id: int) -> str:
    if record.spec:
        return "a worker will run it: hyperlab worker"
    return (
        f"the parent {record.ref} has no queue spec (it was started from a script), so run "
        f"the new run from Python: hl.study({record.study_name!r}).open_run({run_id})"
    )


@click.command("resume")
@click.argument("run")
@click.pass_obj
def resume_cmd(obj: CliContext, run: str) -> None:
    """Queue an interrupted, failed or lost RUN to continue under the same run id.

    A worker executes it again; the code reads run.resume_info to load the latest checkpoint
    and continue after it. Runs started from a script resume from Python: study.resume(RUN).

    \b
    Example:
      hyperlab resume mnist/7 && hyperlab worker
    """
    from hyperlab.errors import StateError
    from hyperlab.store import queue
    from hyperlab.tracking.lineage import RESUMABLE_STATES, compute_resume_info

    store = obj.store()
    store.recover_stale_runs()
    record = store.get_run(store.resolve_run(run))
    if record.state not in RESUMABLE_STATES:
        raise StateError(
            f"run {record.ref} is {record.state}; only {', '.join(RESUMABLE_STATES)} runs can "
            "be resumed (fork or extend a completed run instead)"
        )
    if not record.spec:
        raise StateError(
            f"run {record.ref} has no queue spec (it was started from a script); resume it "
            f"from Python: hl.study({record.study_name!r}).resume({record.id})"
        )
    info = compute_resume_info(store, record.id)  # a broken checkpoint fails here, run untouched
    with store.write() as conn:
        changed = queue.retry(conn, [record.id])
    if not changed:
        raise StateError(f"run {record.ref} changed state meanwhile; try again")
    where = f"checkpoint at step {info.step}" if info and info.step is not None else "the start"
    click.echo(f"queued {record.ref} (id {record.id}) to resume from {where}")


@click.command("fork")
@click.argument("run")
@click.option("--step", type=int, default=None, help="Fork from the checkpoint at or before it.")
@click.option("--set", "assignments", multiple=True, metavar="KEY=VALUE", help="Change a param.")
@click.option("--study", "study_name", default=None, help="Put the fork in this study[@version].")
@click.option("--tag", "tags", multiple=True, help="Tag the fork.")
@click.pass_obj
def fork_cmd(
    obj: CliContext,
    run: str,
    step: int | None,
    assignments: tuple[str, ...],
    study_name: str | None,
    tags: tuple[str, ...],
) -> None:
    """Queue a new run continuing RUN from its checkpoint, with params changed by --set.

    \b
    Examples:
      hyperlab fork mnist/3 --set epochs=30 --set lr=0.001
      hyperlab fork mnist/3 --step 9 --set lr=0.0005
    """
    from hyperlab.execute.argv_params import parse_assignments

    store = obj.store()
    record = store.get_run(store.resolve_run(run))
    study = _study_of(store, record, study_name)
    changes = parse_assignments(assignments)
    run_id = study.enqueue_fork(record, step=step, changes=changes, tags=tags)
    fork = store.get_run(run_id)
    click.echo(
        f"queued fork {fork.ref} (id {run_id}) of {record.ref} after step {fork.fork_step}"
        f" with {changes or 'no changes'}; {_no_spec_hint(record, run_id)}"
    )


@click.command("extend")
@click.argument("study")
@click.argument("expr", required=False)
@click.option(
    "--set",
    "assignments",
    multiple=True,
    required=True,
    metavar="KEY=VALUE",
    help="The budget to reach (e.g. epochs=200), and other params to change.",
)
@click.option("--budget", "budget_param", default=None, help="Which --set key is the budget.")
@click.option("--dry-run", is_flag=True, help="Show what would be queued.")
@format_option
@click.pass_obj
def extend_cmd(
    obj: CliContext,
    study: str,
    expr: str | None,
    assignments: tuple[str, ...],
    budget_param: str | None,
    dry_run: bool,
    fmt: str,
) -> None:
    """Extend the budget of past runs of STUDY (matching EXPR): train only the missing part.

    Each configuration's completed run with the largest budget not above the target is forked
    from its last checkpoint with the budget raised.

    \b
    Example:
      hyperlab extend mnist 'lr < 0.01' --set epochs=200
    """
    from hyperlab.cli.render import render
    from hyperlab.errors import InvalidValueError
    from hyperlab.execute.argv_params import parse_assignments

    values = parse_assignments(assignments)
    if budget_param is None:
        budget_param = "epochs" if "epochs" in values else next(iter(values))
        if len(values) > 1 and "epochs" not in values:
            raise InvalidValueError(
                f"several --set values {sorted(values)}: name the budget with --budget KEY"
            )
    if budget_param not in values:
        raise InvalidValueError(
            f"--budget {budget_param!r} needs a --set {budget_param}=N; given: {sorted(values)}"
        )
    target = values.pop(budget_param)
    store = obj.store()
    base, _, version = study.partition("@")
    from hyperlab.tracking.study import Study

    handle = Study(store, store.get_study(base, version or None))
    plans = handle.extend(expr, budget_param, target, changes=values, dry_run=dry_run)
    headers = ["parent", "from", "to", "fork_step", "run_id"]
    rows = [[p.parent_ref, p.from_budget, p.to_budget, p.fork_step, p.run_id] for p in plans]
    title = "would queue" if dry_run else "queued"
    _echo_text(render(headers, rows, fmt, title=f"{title}: {len(plans)} extension(s)"))


def _tree_label(node: LineageNode, focus: int) -> Any:
    from rich.text import Text

    from hyperlab.cli.render import STATE_STYLES

    text = Text(f"{node.ref} (id {node.id}) ", style="bold" if node.id == focus else "")
    text.append(node.state, style=STATE_STYLES.get(node.state, ""))
    if node.parent_run_id is not None:
        if node.fork_step is None:
            text.append("  reproduction")
        else:
            text.append(f"  fork after step {node.fork_step}")
        if node.changes:
            shown = ", ".join(f"{k}={v!r}" for k, v in node.changes.items())
            text.append(f"  {shown}", style="yellow")
    if node.id == focus:
        text.append("  <-", style="bold")
    return text


def _as_dict(node: LineageNode) -> dict[str, Any]:
    return {
        "id": node.id,
        "ref": node.ref,
        "state": node.state,
        "parent": node.parent_run_id,
        "fork_step": node.fork_step,
        "changes": node.changes,
        "children": [_as_dict(c) for c in node.children],
    }


@click.command("lineage")
@click.argument("run")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_obj
def lineage_cmd(obj: CliContext, run: str, fmt: str) -> None:
    """Print the tree of RUN's lineage, from its root, with the changes at each fork.

    \b
    Example:
      hyperlab lineage mnist/12
    """
    import json

    from hyperlab.store import lineage as lineage_sql

    store = obj.store()
    run_id = store.resolve_run(run)
    with store.read() as conn:
        root = lineage_sql.ancestors(conn, run_id)[-1]
        tree = lineage_sql.descendants(conn, root.id)
    if fmt == "json":
        click.echo(json.dumps(_as_dict(tree), indent=2, default=str))
        return
    from rich.tree import Tree

    from hyperlab.cli.context import console

    top = Tree(_tree_label(tree, run_id))
    stack = [(tree, top)]
    while stack:
        node, branch = stack.pop()
        for child in node.children:
            stack.append((child, branch.add(_tree_label(child, run_id))))
    console().print(top)


@click.group("cache")
def cache_group() -> None:
    """The stage cache (run.stage): list, remove and clean entries."""


def _cache(obj: CliContext, cache_dir: str | None) -> Any:
    from hyperlab.tracking.cache import CacheStore, default_root

    return CacheStore(cache_dir) if cache_dir else CacheStore(default_root(obj.store()))


_cache_dir_option = click.option(
    "--cache-dir", default=None, help="The cache folder (default: cache/ beside the store)."
)


@cache_group.command("ls")
@click.argument("stage", required=False)
@_cache_dir_option
@format_option
@click.pass_obj
def cache_ls(obj: CliContext, stage: str | None, cache_dir: str | None, fmt: str) -> None:
    """List cache entries (of STAGE): depends-on values, size, creator, last use."""
    from hyperlab.cli.render import human, render

    entries = _cache(obj, cache_dir).entries(stage)
    headers = ["name", "key", "depends", "version", "size", "created", "last_used", "created_by"]
    rows = [[e.as_row()[h] for h in headers] for e in entries]
    if fmt == "table":
        for row in rows:
            row[6] = human(row[6], "created")  # a time, like "created"
    _echo_text(render(headers, rows, fmt, title=None if rows else "the cache is empty"))


@cache_group.command("rm")
@click.argument("stage")
@click.argument("key", required=False)
@_cache_dir_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def cache_rm(
    obj: CliContext, stage: str, key: str | None, cache_dir: str | None, yes: bool
) -> None:
    """Remove the entries of STAGE (only those whose key starts with KEY when given)."""
    cache = _cache(obj, cache_dir)
    matching = [e for e in cache.entries(stage) if not key or e.key.startswith(key)]
    if not matching:
        click.echo("no matching cache entries")
        return
    if not yes:
        click.confirm(f"remove {len(matching)} cache entries of stage {stage!r}?", abort=True)
    click.echo(f"removed {cache.remove(stage, key)} cache entries")


@cache_group.command("gc")
@click.option(
    "--unused-days", type=float, default=None, help="Also remove entries unused for this long."
)
@_cache_dir_option
@click.pass_obj
def cache_gc(obj: CliContext, unused_days: float | None, cache_dir: str | None) -> None:
    """Remove leftovers of interrupted writes (and entries unused for --unused-days)."""
    seconds = None if unused_days is None else unused_days * 86400.0
    click.echo(f"removed {_cache(obj, cache_dir).gc(unused_for_s=seconds)} folders")


@click.command("reproduce")
@click.argument("run")
@click.pass_obj
def reproduce_cmd(obj: CliContext, run: str) -> None:
    """Queue a new run with RUN's exact params and command, linked to it.

    Warns when the git commit, dirty state or package versions differ from RUN's.
    """
    from hyperlab.tracking.provenance import enqueue_reproduction, environment_warnings

    store = obj.store()
    record = store.get_run(store.resolve_run(run))
    for warning in environment_warnings(record):
        click.echo(f"warning: {warning}", err=True)
    run_id = enqueue_reproduction(store, record)
    click.echo(
        f"queued reproduction (id {run_id}) of {record.ref}; {_no_spec_hint(record, run_id)}"
    )


@click.command("diff")
@click.argument("run_a")
@click.argument("run_b")
@click.option("--all", "show_all", is_flag=True, help="Also show what is the same.")
@format_option
@click.pass_obj
def diff_cmd(obj: CliContext, run_a: str, run_b: str, show_all: bool, fmt: str) -> None:
    """Show params, code version and environment of two runs side by side."""
    from hyperlab.cli.render import render
    from hyperlab.tracking.provenance import diff_runs

    store = obj.store()
    a, b = store.resolve_run(run_a), store.resolve_run(run_b)
    rows = diff_runs(store, a, b, only_different=not show_all)
    headers = ["section", "key", run_a, run_b]
    table = [[r.section, r.key, r.a, r.b] for r in rows]
    _echo_text(render(headers, table, fmt, title=None if table else "no differences"))


COMMANDS = [
    resume_cmd,
    fork_cmd,
    extend_cmd,
    lineage_cmd,
    cache_group,
    reproduce_cmd,
    diff_cmd,
]
