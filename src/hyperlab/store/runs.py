"""Run rows: creation, updates, params/meta/tags, lookup by reference, deletion, recovery."""

from __future__ import annotations

import functools
import os
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from hyperlab.errors import InvalidValueError, RunNotFoundError
from hyperlab.store import codec, rawsql, reads
from hyperlab.store import studies as study_rows
from hyperlab.store.records import RunRecord, RunState, StudyRecord
from hyperlab.store.schema import meta, metrics, params, runs, studies, tags

_JSON_FIELDS = ("env", "params", "meta", "changes", "spec")
MAX_TAG_LENGTH = 255


def validate_tags(values: Iterable[str]) -> list[str]:
    """Tags as a de-duplicated list; empty or over-long tags are a clear error."""
    result: list[str] = []
    for tag in values:
        if not isinstance(tag, str) or not tag.strip():
            raise InvalidValueError(f"a tag must be a non-empty string, got {tag!r}")
        if len(tag) > MAX_TAG_LENGTH:
            raise InvalidValueError(f"tag {tag[:40]!r}... is longer than {MAX_TAG_LENGTH} chars")
        if tag not in result:
            result.append(tag)
    return result


_INSERT_PARAM = (
    'INSERT INTO params (run_id, "key", "value", num, "str") '
    "VALUES (:run_id, :key, :value, :num, :str)"
)
_INSERT_TAG = "INSERT INTO tags (run_id, tag) VALUES (:run_id, :tag)"


@functools.lru_cache(maxsize=32)
def _insert_run_sql(columns: tuple[str, ...]) -> str:
    names = ", ".join(f'"{c}"' for c in columns)
    values = ", ".join(f":{c}" for c in columns)
    return f"INSERT INTO runs ({names}) VALUES ({values}) RETURNING id"


def create(
    conn: sa.Connection,
    study_id: int,
    *,
    flat_params: Mapping[str, Any],
    params_hash: str | None,
    state: RunState,
    tag_list: Sequence[str] = (),
    fields: Mapping[str, Any] | None = None,
) -> tuple[int, int]:
    """Insert a run with its params and tags; returns ``(run_id, number)``.

    Runs on the driver cursor (see :mod:`hyperlab.store.rawsql`): this is the hot path of
    creating thousands of runs.
    """
    number = study_rows.next_number(conn, study_id)
    values: dict[str, Any] = {
        "study_id": study_id,
        "number": number,
        "state": state.value,
        "created_at": time.time(),
        "params": codec.dumps(dict(flat_params)),
        "params_hash": params_hash,
    }
    for key, value in (fields or {}).items():
        values[key] = codec.dumps(value) if key in _JSON_FIELDS else value
    if "env" not in values:
        values["env"] = "{}"
    if "meta" not in values:
        values["meta"] = "{}"
    sql = _insert_run_sql(tuple(values))
    run_id = int(rawsql.execute(conn, sql, values)[0][0])
    if flat_params:
        rawsql.executemany(conn, _INSERT_PARAM, codec.kv_rows(run_id, flat_params))
        reads.record_keys(conn, run_id, "param", list(flat_params))
    if tag_list:
        rawsql.executemany(conn, _INSERT_TAG, [{"run_id": run_id, "tag": t} for t in tag_list])
    return run_id, number


@functools.lru_cache(maxsize=32)
def _update_run_sql(columns: tuple[str, ...]) -> str:
    sets = ", ".join(f'"{c}" = :{c}' for c in columns)
    return f"UPDATE runs SET {sets} WHERE id = :run_id"


def update(conn: sa.Connection, run_id: int, **fields: Any) -> None:
    """Update columns of one run (JSON columns are encoded here)."""
    update_many(conn, [(run_id, fields)])


def update_many(conn: sa.Connection, changes: Sequence[tuple[int, Mapping[str, Any]]]) -> None:
    """Update columns of many runs, one statement per distinct set of columns."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for run_id, fields in changes:
        values = {k: (codec.dumps(v) if k in _JSON_FIELDS else v) for k, v in fields.items()}
        groups.setdefault(tuple(values), []).append({**values, "run_id": run_id})
    for columns, rows in groups.items():
        if columns:
            rawsql.executemany(conn, _update_run_sql(columns), rows)


def merge_kv(conn: sa.Connection, run_id: int, flat: Mapping[str, Any], *, table: str) -> None:
    """Add or replace params (``table="params"``) or meta entries of a run."""
    kv = params if table == "params" else meta
    column = runs.c.params if table == "params" else runs.c.meta
    current = codec.loads(conn.execute(sa.select(column).where(runs.c.id == run_id)).scalar())
    merged = {**(current or {}), **flat}
    conn.execute(sa.delete(kv).where(kv.c.run_id == run_id, kv.c.key.in_(list(flat))))
    conn.execute(sa.insert(kv), codec.kv_rows(run_id, flat))
    reads.record_keys(conn, run_id, "param" if table == "params" else "meta", list(flat))
    conn.execute(sa.update(runs).where(runs.c.id == run_id).values({table: codec.dumps(merged)}))


def change_tags(
    conn: sa.Connection, run_id: int, add: Sequence[str] = (), remove: Sequence[str] = ()
) -> None:
    """Add and remove tags of a run (adding an existing tag is not an error)."""
    if remove:
        conn.execute(sa.delete(tags).where(tags.c.run_id == run_id, tags.c.tag.in_(remove)))
    if add:
        existing = set(
            conn.execute(sa.select(tags.c.tag).where(tags.c.run_id == run_id)).scalars()
        )
        new = [{"run_id": run_id, "tag": t} for t in add if t not in existing]
        if new:
            conn.execute(sa.insert(tags), new)


def _record(row: sa.Row[Any], tag_list: list[str]) -> RunRecord:
    data = dict(row._mapping)
    for key in _JSON_FIELDS:
        data[key] = codec.loads(data[key])
    data["git_dirty"] = None if data["git_dirty"] is None else bool(data["git_dirty"])
    return RunRecord(**data, tags=tag_list)


def _select_runs() -> sa.Select[Any]:
    return sa.select(
        runs, studies.c.name.label("study_name"), studies.c.version.label("study_version")
    ).join(studies, studies.c.id == runs.c.study_id)


def get_many(conn: sa.Connection, run_ids: Sequence[int]) -> list[RunRecord]:
    """Runs by id, in the order given; unknown ids are left out."""
    if not run_ids:
        return []
    rows = {r.id: r for r in conn.execute(_select_runs().where(runs.c.id.in_(list(run_ids))))}
    tag_map: dict[int, list[str]] = {}
    for run_id, tag in conn.execute(
        sa.select(tags.c.run_id, tags.c.tag).where(tags.c.run_id.in_(list(rows)))
    ):
        tag_map.setdefault(run_id, []).append(tag)
    return [_record(rows[i], sorted(tag_map.get(i, []))) for i in run_ids if i in rows]


def get(conn: sa.Connection, run_id: int) -> RunRecord:
    """One run by id."""
    found = get_many(conn, [run_id])
    if not found:
        raise RunNotFoundError(f"no run with id {run_id}")
    return found[0]


_REF = re.compile(r"^(?P<study>.+)/(?P<number>\d+)$")


def resolve(conn: sa.Connection, ref: str | int, study: str | None = None) -> int:
    """A run id from a reference: an id, ``STUDY/N``, ``last`` or ``best``.

    ``last`` is the newest run (of ``study`` if given); ``best`` the best completed run of the
    study by its first metric with a direction.
    """
    text = str(ref).strip()
    if text.isdigit():
        found = conn.execute(sa.select(runs.c.id).where(runs.c.id == int(text))).scalar()
        if found is None:
            raise RunNotFoundError(f"no run with id {text}; see `hyperlab ls` for run ids")
        return int(found)
    match = _REF.match(text)
    if match:
        name = match.group("study")
        record = study_rows.get(conn, name.split("@")[0], _version_of(name))
        found = conn.execute(
            sa.select(runs.c.id).where(
                runs.c.study_id == record.id, runs.c.number == int(match.group("number"))
            )
        ).scalar()
        if found is None:
            raise RunNotFoundError(f"study {name!r} has no run number {match.group('number')}")
        return int(found)
    if text in {"last", "best"}:
        query = sa.select(runs.c.id)
        scoped: StudyRecord | None = None
        if study is not None:
            scoped = study_rows.get(conn, study.split("@")[0], _version_of(study))
            query = query.where(runs.c.study_id == scoped.id)
        if text == "last":
            found = conn.execute(query.order_by(runs.c.id.desc()).limit(1)).scalar()
        else:
            found = _best(conn, scoped)
        if found is None:
            scope = f" in study {study!r}" if study else ""
            raise RunNotFoundError(f"no run{scope} to be {text!r}")
        return int(found)
    raise RunNotFoundError(
        f"cannot read {text!r} as a run reference; use a run id (42), STUDY/N (mnist/3), "
        "'last' or 'best'"
    )


def _version_of(name: str) -> str | None:
    return name.split("@", 1)[1] if "@" in name else None


def _best(conn: sa.Connection, record: Any) -> int | None:
    if record is None or record.main_metric is None:
        raise RunNotFoundError(
            "'best' needs a study with a metric direction, e.g. "
            "hl.study('name', directions={'val_acc': 'max'}) and --study NAME"
        )
    key = record.main_metric
    value = sa.func.coalesce(metrics.c.final, metrics.c.best, metrics.c.last)
    order = value.desc() if record.directions[key] == "max" else value.asc()
    found = conn.execute(
        sa.select(runs.c.id)
        .join(metrics, sa.and_(metrics.c.run_id == runs.c.id, metrics.c.key == key))
        .where(runs.c.study_id == record.id, runs.c.state == RunState.COMPLETED.value)
        .where(value.is_not(None))
        .order_by(order, runs.c.id)
        .limit(1)
    ).scalar()
    return None if found is None else int(found)


def delete(conn: sa.Connection, run_ids: Sequence[int]) -> int:
    """Delete runs and everything they own; returns how many were deleted."""
    from hyperlab.store.schema import metric_chunks

    ids = list(run_ids)
    for table in (metric_chunks, metrics, tags, params, meta):
        conn.execute(sa.delete(table).where(table.c.run_id.in_(ids)))
    conn.execute(sa.update(runs).where(runs.c.parent_run_id.in_(ids)).values(parent_run_id=None))
    return int(conn.execute(sa.delete(runs).where(runs.c.id.in_(ids))).rowcount)


def heartbeat(conn: sa.Connection, run_ids: Sequence[int], now: float) -> None:
    """Refresh the heartbeat of running runs."""
    conn.execute(sa.update(runs).where(runs.c.id.in_(list(run_ids))).values(heartbeat_at=now))


def pid_alive(pid: int) -> bool:
    """Whether a local process exists and is not a zombie (a killed child lingers as one)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
            # The state follows the parenthesised command name, which may contain spaces.
            state = handle.read().rsplit(")", 1)[1].split()[0]
        return state not in {"Z", "X"}
    except (OSError, IndexError):
        return True


def recover_stale(conn: sa.Connection, host: str, now: float, grace_s: float) -> int:
    """Mark runs whose process is gone as ``lost``; returns how many.

    A run on this host whose pid is dead is lost at once; any other running run is lost when its
    heartbeat is older than ``grace_s``. Runs held by a queue lease are left to the queue.
    """
    candidates = conn.execute(
        sa.select(runs.c.id, runs.c.host, runs.c.pid, runs.c.heartbeat_at).where(
            runs.c.state == RunState.RUNNING.value, runs.c.lease_owner.is_(None)
        )
    ).all()
    lost = []
    for run_id, run_host, pid, heartbeat in candidates:
        local_dead = (
            run_host == host and pid is not None and pid != os.getpid() and not pid_alive(pid)
        )
        silent = heartbeat is not None and heartbeat < now - grace_s
        if local_dead or silent:
            lost.append(run_id)
    if lost:
        conn.execute(
            sa.update(runs)
            .where(runs.c.id.in_(lost), runs.c.state == RunState.RUNNING.value)
            .values(state=RunState.LOST.value, ended_at=sa.func.coalesce(runs.c.heartbeat_at, now))
        )
    return len(lost)
