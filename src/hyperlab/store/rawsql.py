"""Hot-path statements run on the DBAPI cursor, skipping SQLAlchemy's per-call overhead.

SQLAlchemy Core costs about 0.1 ms per statement to build and bind; creating a run and ingesting
metrics run a handful of fixed statements thousands of times, so those few are written once as
text with ``:name`` placeholders and executed on the driver's cursor, inside the same transaction
as the surrounding SQLAlchemy connection. psycopg wants ``%(name)s``; the conversion is done once
per statement and cached.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


@functools.lru_cache(maxsize=64)
def _for_dialect(sql: str, dialect: str) -> str:
    if dialect == "postgresql":
        return _NAMED.sub(r"%(\1)s", sql.replace("%", "%%"))
    return sql


def _cursor(conn: sa.Connection) -> Any:
    return conn.connection.driver_connection.cursor()  # type: ignore[union-attr]


def execute(conn: sa.Connection, sql: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """Execute one statement and return all its rows (empty when it returns none)."""
    cur = _cursor(conn)
    try:
        cur.execute(_for_dialect(sql, conn.dialect.name), params)
        return list(cur.fetchall()) if cur.description is not None else []
    finally:
        cur.close()


def executemany(conn: sa.Connection, sql: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """Execute one statement for many parameter sets."""
    if not rows:
        return
    cur = _cursor(conn)
    try:
        cur.executemany(_for_dialect(sql, conn.dialect.name), rows)
    finally:
        cur.close()
