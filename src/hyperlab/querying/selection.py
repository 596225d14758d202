"""Which runs a query selects: studies in scope, names known to them, ids in SQL order.

Used by both the pandas side (:mod:`hyperlab.querying.frames`) and the CLI (which avoids pandas).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from hyperlab.errors import InvalidValueError, StoreError
from hyperlab.querying.compiler import QueryContext, compile_filter, compile_sort
from hyperlab.querying.parser import parse_filter, parse_sort
from hyperlab.store import Store, StudyRecord, open_store
from hyperlab.store.schema import runs


def as_store(store: Store | str | Path | None) -> Store:
    return store if isinstance(store, Store) else open_store(store)


def select_studies(
    store: Store, study: str | Sequence[str] | None, version: str | None = None
) -> list[StudyRecord]:
    """The studies a query covers: all, one name (all its versions), or ``name@version``."""
    if study is None:
        return store.list_studies()
    names = [study] if isinstance(study, str) else list(study)
    found: list[StudyRecord] = []
    for name in names:
        base, _, ver = name.partition("@")
        wanted = ver or version
        if wanted is not None:
            found.append(store.get_study(base, wanted))
        else:
            records = store.list_studies([base])
            if not records:
                store.get_study(base)  # raises StudyNotFoundError with the known names
            found.extend(records)
    return found


def build_context(store: Store, records: Sequence[StudyRecord]) -> QueryContext:
    """Names known to the queried studies, their defaults and metric directions."""
    param_keys, metric_keys, meta_keys = store.known_keys([r.id for r in records])
    defaults: dict[str, Any] = {}
    if records:
        # A default applies only when every queried study declares the same value for it.
        shared = records[0].plain_defaults()
        for record in records[1:]:
            other = record.plain_defaults()
            shared = {k: v for k, v in shared.items() if k in other and other[k] == v}
        defaults = shared
    directions: dict[str, str] = {}
    for record in records:
        for key, value in record.directions.items():
            directions.setdefault(key, value)
    return QueryContext(
        param_keys=frozenset(param_keys | set(defaults)),
        metric_keys=metric_keys,
        meta_keys=meta_keys,
        defaults=defaults,
        directions=directions,
    )


def default_sort(records: Sequence[StudyRecord]) -> str | None:
    """Best first by the first study's main metric, when it has one."""
    for record in records:
        main = record.main_metric
        if main is not None:
            return ("-" if record.directions[main] == "max" else "") + main
    return None


def select_ids(
    store: Store,
    expr: str | None,
    records: Sequence[StudyRecord],
    ctx: QueryContext,
    sort: str | None,
    limit: int | None,
) -> list[int]:
    """Run ids matching ``expr`` in the given studies, sorted, at most ``limit``."""
    query = sa.select(runs.c.id).where(runs.c.study_id.in_([r.id for r in records]))
    if expr is not None and expr.strip():
        query = query.where(compile_filter(parse_filter(expr), ctx))
    order: list[Any] = []
    if sort:
        order = list(compile_sort(parse_sort(sort), ctx))
    query = query.order_by(*order, runs.c.id)
    if limit is not None:
        if limit < 0:
            raise InvalidValueError(f"limit must be >= 0, got {limit}")
        query = query.limit(limit)
    with store.read() as conn:
        return [int(i) for i in conn.execute(query).scalars()]


def refresh_states(store: Store) -> None:
    """Mark runs whose process died as lost before showing states (best effort: a read-only
    store is still readable)."""
    with contextlib.suppress(StoreError):
        store.recover_stale_runs()
