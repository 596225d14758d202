"""One run as plain data: the fields ``hyperlab show`` and the web dashboard both display."""

from __future__ import annotations

from typing import Any

from hyperlab.store import Store
from hyperlab.store.records import RunRecord, StudyRecord


def run_dir(store: Store, record: RunRecord) -> str:
    """The run's directory: the one it recorded, else ``<runs root>/<run id>``."""
    return record.run_dir if record.run_dir is not None else str(store.runs_root / str(record.id))


def run_fields(store: Store, record: RunRecord, study: StudyRecord) -> dict[str, Any]:
    """What a run's detail view shows about where, when and how it ran, and its metrics.

    Args:
        store: The store holding the run (for its metric summaries and runs root).
        record: The run.
        study: The run's study.

    Returns:
        ``study`` (label), ``name``, ``state``, ``created``/``started``/``ended`` (epoch s),
        ``duration``, ``host``, ``user``, ``pid``, ``command``, ``cwd``, ``git``
        (commit, branch, dirty), ``python``, ``tags``, ``notes``, ``error``, ``meta``,
        ``metrics`` (summaries by key), ``parent`` and ``run_dir``.
    """
    return {
        "study": study.label,
        "name": record.name,
        "state": record.state,
        "created": record.created_at,
        "started": record.started_at,
        "ended": record.ended_at,
        "duration": record.duration_s,
        "host": record.host,
        "user": record.user,
        "pid": record.pid,
        "command": record.command,
        "cwd": record.cwd,
        "git": {
            "commit": record.git_commit,
            "branch": record.git_branch,
            "dirty": record.git_dirty,
        },
        "python": record.python_version,
        "tags": record.tags,
        "notes": record.notes,
        "error": record.error,
        "meta": record.meta,
        "metrics": store.metric_summaries(record.id),
        "parent": record.parent_run_id,
        "run_dir": run_dir(store, record),
    }


def effective_params(record: RunRecord, study: StudyRecord) -> tuple[dict[str, Any], list[str]]:
    """The run's effective params (declared defaults, conditional ones too, fill in missing
    names) and the sorted names that came from a default."""
    from hyperlab.querying.effective import matches
    from hyperlab.space.defaults import apply_defaults

    applied = apply_defaults(record.params, study.defaults, matches)
    return dict(applied.params), sorted(applied.defaulted)
