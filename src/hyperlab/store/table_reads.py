"""Bulk reads behind run tables: run rows, tags and metric summaries for a list of run ids.

These run on the DBAPI cursor (see :mod:`hyperlab.store.rawsql`): building a 100,000-row
DataFrame reads about 700,000 rows, and SQLAlchemy's per-row ``Row`` objects and its expansion
of large ``IN`` lists would cost more than the database itself. Ids are sent in chunks that stay
within SQLite's bound-parameter limit; PostgreSQL gets one array per chunk.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from itertools import groupby
from operator import itemgetter
from typing import Any

import sqlalchemy as sa

from hyperlab.store.rawsql import execute

CHUNK = 20_000
"""Ids per statement: below SQLite's default limit of 32,766 bound parameters."""

RUN_COLUMNS = (
    "r.id, s.name, s.version, r.number, r.name, r.state, r.created_at, r.started_at, "
    "r.ended_at, r.host, r.parent_run_id, r.params"
)
"""What :func:`run_rows` returns per run, in this order."""


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _by_ids(conn: sa.Connection, sql: str, column: str, ids: Sequence[int]) -> list[Any]:
    """Rows of ``sql`` (with an ``{ids}`` slot) for ``column`` in ``ids``, chunk by chunk."""
    rows: list[Any] = []
    postgres = conn.dialect.name == "postgresql"
    for chunk in _chunks(ids):
        if postgres:
            rows += execute(conn, sql.format(ids=f"{column} = ANY(:ids)"), {"ids": list(chunk)})
        else:
            marks = ",".join(["?"] * len(chunk))
            cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            try:
                cur.execute(sql.format(ids=f"{column} IN ({marks})"), list(chunk))
                rows += cur.fetchall()
            finally:
                cur.close()
    return rows


def _dense(ids: Sequence[int]) -> bool:
    """Whether ids fill most of their range: then one range scan beats ``IN`` lists.

    A 100,000-run table read through five 20,000-id ``IN`` lists costs about twice a scan of the
    id range (SQLite builds and probes a temporary b-tree per list).
    """
    return len(ids) > 2000 and max(ids) - min(ids) < 2 * len(ids)


def run_rows(conn: sa.Connection, ids: Sequence[int]) -> list[tuple[Any, ...]]:
    """One tuple per run (see :data:`RUN_COLUMNS`), in no particular order."""
    base = f"SELECT {RUN_COLUMNS} FROM runs r JOIN studies s ON s.id = r.study_id"
    if _dense(ids):
        wanted = set(ids)
        rows = execute(conn, base + " WHERE r.id BETWEEN :lo AND :hi", _bounds(ids))
        return [row for row in rows if row[0] in wanted]
    return _by_ids(conn, base + " WHERE {ids}", "r.id", ids)


def _bounds(ids: Sequence[int]) -> dict[str, int]:
    return {"lo": min(ids), "hi": max(ids)}


def tag_rows(conn: sa.Connection, ids: Sequence[int]) -> list[tuple[int, str]]:
    """``(run_id, tag)`` pairs."""
    return _by_ids(conn, "SELECT run_id, tag FROM tags WHERE {ids}", "run_id", ids)


def summary_columns(
    conn: sa.Connection, ids: Sequence[int], keys: Collection[str] = ()
) -> Iterator[tuple[str, tuple[int, ...], tuple[float | None, ...]]]:
    """``(key, run_ids, summaries)`` per metric key and chunk of ids.

    The summary is the final value, else the best, else the last. A key may come once per chunk.
    When the metric ``keys`` of these runs are known and the ids are dense, each key is read
    from the covering index ``ix_metrics_key_summary`` (no sort, no per-id probes).
    """
    if keys and _dense(ids):
        wanted = set(ids)
        sql = (
            "SELECT run_id, COALESCE(final, best, last) FROM metrics "
            "WHERE key = :key AND run_id BETWEEN :lo AND :hi"
        )
        for key in keys:
            rows = execute(conn, sql, {"key": key, **_bounds(ids)})
            if rows:
                run_ids, values = zip(*rows, strict=True)
                if not wanted.issuperset(run_ids):
                    kept = [row for row in rows if row[0] in wanted]
                    if not kept:
                        continue
                    run_ids, values = zip(*kept, strict=True)
                yield key, run_ids, values
        return
    sql = "SELECT key, run_id, COALESCE(final, best, last) FROM metrics WHERE {ids} ORDER BY key"
    for chunk in _chunks(ids):
        # zip(*rows) and groupby run in C: no Python-level loop over 500,000 summary rows.
        for key, group in groupby(_by_ids(conn, sql, "run_id", chunk), itemgetter(0)):
            _, run_ids, values = zip(*group, strict=True)
            yield key, run_ids, values
