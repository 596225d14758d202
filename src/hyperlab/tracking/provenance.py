"""Reproducibility: seeds, side-by-side comparison of two runs, and reproducing a run.

Every run already records its git commit, branch, dirty flag (with the diff saved as
``git.diff`` in its directory), Python, platform and package versions (see
:mod:`hyperlab.tracking.capture`). This module adds the seed, compares all of it between two runs,
and queues a reproduction: a new run with the original's exact params, linked to it.
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hyperlab.store import RunRecord, RunState, Store
from hyperlab.tracking import capture

if TYPE_CHECKING:
    from hyperlab.tracking.run import Run

SEED_PARAM = "seed"
SEED_META = "seed"


def set_seed(run: Run, seed: int | None = None) -> int:
    """Seed ``random``, numpy and torch (when loaded) and record the seed on the run.

    The seed is, in order: the run's ``seed`` param, the seed recorded on the run (a resumed
    run or a reproduction), the ``seed`` argument, else a fresh random one.

    Returns:
        The seed used (also stored as ``meta.seed``).
    """
    chosen: Any = run.params.get(SEED_PARAM)
    if chosen is None:
        record = run.study.store.get_run(run.id)
        chosen = record.meta.get(SEED_META)
    if chosen is None:
        chosen = seed if seed is not None else random.SystemRandom().randrange(2**31)
    value = int(chosen)
    random.seed(value)
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed(value % 2**32)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(value)
    run.set_meta(**{SEED_META: value})
    return value


@dataclass(frozen=True)
class DiffRow:
    """One compared item of two runs."""

    section: str  # params | code | env
    key: str
    a: Any
    b: Any

    @property
    def same(self) -> bool:
        """Whether both runs have the same value."""
        return bool(self.a == self.b)


def _code(record: RunRecord) -> dict[str, Any]:
    return {
        "study": record.study_name,
        "version": record.study_version,
        "git_commit": record.git_commit,
        "git_branch": record.git_branch,
        "git_dirty": record.git_dirty,
        "command": record.command,
        "seed": record.meta.get(SEED_META),
    }


def _env(record: RunRecord) -> dict[str, Any]:
    found: dict[str, Any] = {
        "python": record.python_version,
        "platform": record.platform,
        "host": record.host,
    }
    for name, version in sorted((record.env.get("packages") or {}).items()):
        found[f"packages.{name}"] = version
    return found


def diff_runs(store: Store, a: int, b: int, *, only_different: bool = False) -> list[DiffRow]:
    """Params (effective: study defaults filled in), code version and environment side by side."""
    first, second = store.get_runs([a, b]) if a != b else [store.get_run(a)] * 2
    rows: list[DiffRow] = []
    sections = (
        ("params", _effective(store, first), _effective(store, second)),
        ("code", _code(first), _code(second)),
        ("env", _env(first), _env(second)),
    )
    for section, left, right in sections:
        for key in sorted(set(left) | set(right)) if section != "code" else list(left):
            row = DiffRow(section, key, left.get(key), right.get(key))
            if not (only_different and row.same):
                rows.append(row)
    return rows


def _effective(store: Store, record: RunRecord) -> dict[str, Any]:
    defaults = store.study_by_id(record.study_id).plain_defaults()
    return {**defaults, **record.params}


def environment_warnings(record: RunRecord, cwd: str | None = None) -> list[str]:
    """How this process's code and packages differ from what the run recorded."""
    here = capture.run_fields(cwd)
    warnings = []
    if record.git_commit and here["git_commit"] and record.git_commit != here["git_commit"]:
        warnings.append(
            f"git commit differs: run {record.ref} ran {record.git_commit[:10]}, "
            f"the work tree is at {here['git_commit'][:10]}"
        )
    if here["git_dirty"]:
        warnings.append("the work tree has uncommitted changes")
    if record.git_dirty:
        warnings.append(
            f"run {record.ref} ran from a dirty work tree; its diff is git.diff in its run "
            "directory"
        )
    old = record.env.get("packages") or {}
    new = here["env"]["packages"]
    for name in sorted(set(old) | set(new)):
        if old.get(name) != new.get(name):
            before, now = old.get(name) or "none", new.get(name) or "none"
            warnings.append(f"package {name}: run used {before}, now {now}")
    if record.python_version and record.python_version != here["python_version"]:
        warnings.append(f"python: run used {record.python_version}, now {here['python_version']}")
    return warnings


def enqueue_reproduction(store: Store, record: RunRecord) -> int:
    """Queue a new run with the original's exact effective params, command and spec, linked to it.

    The effective params (study defaults filled in) are written out, so a default declared
    later cannot change what the reproduction runs. The link has no fork step: a reproduction
    inherits no points, it is compared side by side. The original's seed is copied, so
    :func:`set_seed` gives the reproduction the same seed.
    """
    from hyperlab.space.hashing import params_hash

    effective = _effective(store, record)

    fields = {
        "parent_run_id": record.id,
        "fork_step": None,
        "changes": {},
        "spec": record.spec,
        "command": record.command,
        "cwd": record.cwd,
        "priority": record.priority,
        "max_attempts": record.max_attempts,
    }
    run_id, _ = store.create_run(
        record.study_id,
        flat_params=effective,
        params_hash=params_hash(effective),
        state=RunState.QUEUED,
        tags=list(record.tags),
        fields=fields,
    )
    meta: dict[str, Any] = {
        "lineage.root": record.meta.get("lineage.root", record.id),
        "lineage.kind": "reproduce",
        "lineage.parent": record.id,
    }
    if record.meta.get(SEED_META) is not None:
        meta[SEED_META] = record.meta[SEED_META]
    store.merge_meta(run_id, meta)
    return run_id
