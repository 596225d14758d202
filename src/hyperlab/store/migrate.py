"""Schema creation and migration (alembic, shipped inside the package).

A fresh database gets the current schema on first open, so the embedded store needs no setup. An
existing database at another revision is never changed behind the user's back: opening it raises
:class:`~hyperlab.errors.SchemaOutdatedError` naming the command that upgrades it. The revision
check reads ``alembic_version`` directly, so opening a store does not import alembic.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hyperlab.errors import SchemaOutdatedError
from hyperlab.store.engine import sqlite_path
from hyperlab.store.schema import SCHEMA_REVISION

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_PG_LOCK_KEY = 0x48594C42  # "HYLB": an advisory lock id for schema changes


def current_revision(engine: Engine) -> str | None:
    """The alembic revision stored in the database, or None for an empty database."""
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            if sa.inspect(conn).has_table("runs"):
                return "unknown"
            return None
        row = conn.exec_driver_sql("SELECT version_num FROM alembic_version").first()
        return None if row is None else str(row[0])


def check_schema(engine: Engine, url: str, *, create: bool = True) -> None:
    """Create the schema in an empty database; refuse a database at another revision."""
    revision = current_revision(engine)
    if revision == SCHEMA_REVISION:
        return
    if revision is None and create:
        with _schema_lock(engine, url):
            if current_revision(engine) is None:
                upgrade(engine)
        return
    raise SchemaOutdatedError(
        f"the store at {_safe(url)} has schema revision {revision!r} but this hyperlab needs "
        f"{SCHEMA_REVISION!r}; back it up, then run: hyperlab db upgrade --store {_safe(url)}"
    )


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply the shipped migrations up to ``revision``."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


@contextlib.contextmanager
def _schema_lock(engine: Engine, url: str) -> Iterator[None]:
    """Serialise schema creation between processes that open a fresh store at once."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({_PG_LOCK_KEY})")
            conn.commit()
            try:
                yield
            finally:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({_PG_LOCK_KEY})")
                conn.commit()
        return
    path = sqlite_path(url)
    if path is None:
        yield
        return
    with open(str(path) + ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    return sa.engine.make_url(url).render_as_string(hide_password=True)
