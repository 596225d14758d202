"""Study rows: get-or-create (safe from many processes), lookup and listing."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from hyperlab.errors import InvalidValueError, StudyNotFoundError
from hyperlab.store import codec, rawsql
from hyperlab.store.records import StudyRecord
from hyperlab.store.schema import studies

DIRECTIONS = ("min", "max")


def validate_directions(directions: Mapping[str, str] | None) -> dict[str, str]:
    """Directions as a dict of metric -> "min"|"max", with a clear error for anything else."""
    result: dict[str, str] = {}
    for key, value in (directions or {}).items():
        norm = str(value).lower()
        norm = {"minimize": "min", "maximize": "max"}.get(norm, norm)
        if norm not in DIRECTIONS:
            raise InvalidValueError(
                f"direction of metric {key!r} is {value!r}; valid: 'min' or 'max'"
            )
        result[str(key)] = norm
    return result


def _record(row: sa.Row[Any]) -> StudyRecord:
    return StudyRecord(
        id=row.id,
        name=row.name,
        version=row.version,
        description=row.description,
        directions=codec.loads(row.directions) or {},
        defaults=codec.loads(row.defaults) or [],
        created_at=row.created_at,
    )


def get_or_create(
    conn: sa.Connection,
    name: str,
    version: str,
    description: str | None,
    directions: Mapping[str, str] | None,
    defaults: Mapping[str, Any] | None,
) -> StudyRecord:
    """The study ``(name, version)``, created if missing; directions and defaults are merged.

    Must run inside a write transaction (SQLite: BEGIN IMMEDIATE; PostgreSQL: the insert uses
    ON CONFLICT DO NOTHING), so two processes asking at once get the same study.
    """
    if not name or not isinstance(name, str):
        raise InvalidValueError(f"a study needs a non-empty name, got {name!r}")
    if "\x00" in name or (version and "\x00" in version):
        # PostgreSQL text cannot hold NUL; refuse it on every backend alike.
        raise InvalidValueError(f"a study name or version cannot contain NUL, got {name!r}")
    dirs = validate_directions(directions)
    flat_defaults = codec.flatten(defaults or {})
    row = conn.execute(
        sa.select(studies).where(studies.c.name == name, studies.c.version == version)
    ).first()
    if row is None:
        values = {
            "name": name,
            "version": version,
            "description": description,
            "directions": codec.dumps(dirs),
            "defaults": codec.dumps(
                [{"name": k, "value": v, "when": None} for k, v in flat_defaults.items()]
            ),
            "created_at": time.time(),
        }
        if conn.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            conn.execute(pg_insert(studies).values(values).on_conflict_do_nothing())
        else:
            conn.execute(sa.insert(studies).values(values))
        row = conn.execute(
            sa.select(studies).where(studies.c.name == name, studies.c.version == version)
        ).one()
        return _record(row)
    record = _record(row)
    changes: dict[str, Any] = {}
    if description is not None and description != record.description:
        changes["description"] = description
    merged = {**record.directions, **dirs}
    if merged != record.directions:
        changes["directions"] = codec.dumps(merged)
    known = {d["name"] for d in record.defaults}
    new_defaults = [
        {"name": k, "value": v, "when": None} for k, v in flat_defaults.items() if k not in known
    ]
    if new_defaults:
        changes["defaults"] = codec.dumps(record.defaults + new_defaults)
    if changes:
        conn.execute(sa.update(studies).where(studies.c.id == record.id).values(changes))
        row = conn.execute(sa.select(studies).where(studies.c.id == record.id)).one()
        record = _record(row)
    return record


def get(conn: sa.Connection, name: str, version: str | None = None) -> StudyRecord:
    """A study by name (and version; None means the newest version)."""
    query = sa.select(studies).where(studies.c.name == name)
    if version is not None:
        query = query.where(studies.c.version == version)
    # No study name holds NUL (see get_or_create), and PostgreSQL rejects it in a query.
    has_nul = "\x00" in name or (version is not None and "\x00" in version)
    row = None if has_nul else conn.execute(query.order_by(studies.c.id.desc()).limit(1)).first()
    if row is None:
        known = [r.name for r in conn.execute(sa.select(studies.c.name).distinct())]
        what = f"{name!r}" + (f" version {version!r}" if version is not None else "")
        hint = f"known studies: {', '.join(sorted(known))}" if known else "the store has none yet"
        raise StudyNotFoundError(f"no study {what}; {hint}")
    return _record(row)


def by_id(conn: sa.Connection, study_id: int) -> StudyRecord:
    """A study by its id."""
    row = conn.execute(sa.select(studies).where(studies.c.id == study_id)).first()
    if row is None:
        raise StudyNotFoundError(f"no study with id {study_id}")
    return _record(row)


def list_all(conn: sa.Connection, names: Sequence[str] | None = None) -> list[StudyRecord]:
    """All studies (optionally only these names), oldest first."""
    query = sa.select(studies).order_by(studies.c.id)
    if names:
        query = query.where(studies.c.name.in_(list(names)))
    return [_record(r) for r in conn.execute(query)]


def set_defaults(conn: sa.Connection, study_id: int, defaults: list[dict[str, Any]]) -> None:
    """Replace the study's list of declared defaults."""
    conn.execute(
        sa.update(studies).where(studies.c.id == study_id).values(defaults=codec.dumps(defaults))
    )


def next_number(conn: sa.Connection, study_id: int) -> int:
    """Reserve the next per-study run number atomically (UPDATE ... RETURNING)."""
    rows = rawsql.execute(conn, _NEXT_NUMBER, {"study_id": study_id})
    return int(rows[0][0]) - 1


_NEXT_NUMBER = (
    "UPDATE studies SET next_number = next_number + 1 WHERE id = :study_id RETURNING next_number"
)
