"""Commands on the store itself: ``db info``, ``db upgrade``, ``db check``."""

from __future__ import annotations

import click

from hyperlab.cli.context import CliContext


@click.group("db")
def db_group() -> None:
    """Inspect and upgrade the store's database."""


@db_group.command("info")
@click.pass_obj
def info_cmd(obj: CliContext) -> None:
    """Show the store URL, schema revision and size."""
    import sqlalchemy as sa

    from hyperlab.store.engine import create_engine, normalize_url, sqlite_path
    from hyperlab.store.migrate import current_revision
    from hyperlab.store.schema import SCHEMA_REVISION
    from hyperlab.store.store import resolve_url

    url = normalize_url(resolve_url(obj.store_url))
    engine = create_engine(url)
    revision = current_revision(engine)
    safe = sa.engine.make_url(url).render_as_string(hide_password=True)
    click.echo(f"store:     {safe}")
    click.echo(f"backend:   {engine.dialect.name}")
    status = "up to date" if revision == SCHEMA_REVISION else "run `hyperlab db upgrade`"
    if revision is None:
        status = "empty (created on first use)"
    click.echo(f"schema:    {revision} (this hyperlab needs {SCHEMA_REVISION}: {status})")
    path = sqlite_path(url) if url.startswith("sqlite") else None
    if path is not None and path.exists():
        click.echo(f"file size: {path.stat().st_size / 1e6:.1f} MB")
    engine.dispose()


@db_group.command("upgrade")
@click.pass_obj
def upgrade_cmd(obj: CliContext) -> None:
    """Apply schema migrations (back up the database first)."""
    from hyperlab.store.engine import create_engine, normalize_url
    from hyperlab.store.migrate import current_revision, upgrade
    from hyperlab.store.store import resolve_url

    url = normalize_url(resolve_url(obj.store_url))
    engine = create_engine(url)
    before = current_revision(engine)
    upgrade(engine)
    after = current_revision(engine)
    click.echo(f"schema {before or '(empty)'} -> {after}")
    engine.dispose()


@db_group.command("check")
@click.pass_obj
def check_cmd(obj: CliContext) -> None:
    """Run the database's integrity check."""
    problems = obj.store().integrity_check()
    if problems:
        for problem in problems:
            click.echo(problem, err=True)
        raise SystemExit(1)
    click.echo("ok")


COMMANDS = [db_group]
