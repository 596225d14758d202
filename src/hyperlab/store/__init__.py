"""The store: the only package that knows SQL (schema, migrations, engines, reads and writes)."""

from __future__ import annotations

from hyperlab.store.records import FINISHED_STATES, RunRecord, RunState, StudyRecord
from hyperlab.store.store import Store, forget_open_stores, open_store, resolve_url

__all__ = [
    "FINISHED_STATES",
    "RunRecord",
    "RunState",
    "Store",
    "StudyRecord",
    "forget_open_stores",
    "open_store",
    "resolve_url",
]
