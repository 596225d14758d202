"""Engines for the two backends, with the settings that make them safe under concurrency.

SQLite runs in WAL mode with a busy timeout; write transactions start with ``BEGIN IMMEDIATE`` so
that two processes never deadlock upgrading a read lock to a write lock (SQLite would fail one
of them at once instead of waiting). PostgreSQL uses psycopg 3 with a small pool.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

from hyperlab.errors import ConfigError

SQLITE_BUSY_TIMEOUT_MS = 60_000
WRITE_OPTION = "hyperlab_write"
"""Execution option that marks a connection as a writer (SQLite: BEGIN IMMEDIATE)."""

DEFAULT_DIRNAME = ".hyperlab"
DEFAULT_DBNAME = "hyperlab.db"


def find_default_sqlite_path(start: Path | None = None) -> Path:
    """The nearest ``.hyperlab/hyperlab.db`` walking up from ``start`` (like git finds .git).

    Falls back to ``start/.hyperlab/hyperlab.db`` (created on first use) when no ancestor has a
    ``.hyperlab`` folder.
    """
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / DEFAULT_DIRNAME
        if candidate.is_dir():
            return candidate / DEFAULT_DBNAME
    return here / DEFAULT_DIRNAME / DEFAULT_DBNAME


def normalize_url(url: str) -> str:
    """Accept common spellings and reject what hyperlab cannot open, with a clear message."""
    if "://" not in url:
        # A bare path: an SQLite file.
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    scheme = url.split("://", 1)[0]
    if scheme in {"postgresql", "postgres"}:
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if scheme in {"sqlite", "postgresql+psycopg"}:
        return url
    raise ConfigError(
        f"unsupported store URL scheme {scheme!r} in {url!r}; use sqlite:///path/to/file.db "
        "or postgresql+psycopg://user:password@host:port/database"
    )


def sqlite_path(url: str) -> Path | None:
    """The file behind an SQLite URL (None for an in-memory database)."""
    rest = url.split("://", 1)[1]
    if rest in {"", "/", "/:memory:"}:
        return None
    path = rest[1:] if rest.startswith("/") else rest
    return Path(path.split("?", 1)[0])


def create_engine(url: str) -> Engine:
    """Create an engine for ``url`` with hyperlab's connection settings."""
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    try:
        import psycopg  # noqa: F401  (a clear error beats SQLAlchemy's)
    except ModuleNotFoundError:
        raise ConfigError(
            "PostgreSQL stores need psycopg 3: pip install 'hyperlab[postgres]'"
        ) from None
    return sa.create_engine(url, pool_size=2, max_overflow=8, pool_pre_ping=True)


def _sqlite_engine(url: str) -> Engine:
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        url,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN, so writers can ask for BEGIN IMMEDIATE.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode: durable against a process crash, and commits skip fsync.
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        immediate = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def runs_root_for(url: str, configured: str | None) -> Path:
    """Where run directories live: configured, else ``runs/`` beside an SQLite file."""
    if configured:
        return Path(configured).expanduser().resolve()
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        if path is not None:
            return path.parent / "runs"
    return Path(os.getcwd()) / DEFAULT_DIRNAME / "runs"
