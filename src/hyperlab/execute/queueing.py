"""Filling and steering the queue: ``study.enqueue(...)`` and :class:`Queue` (ls, pause, ...).

A queue entry is a run in state ``queued`` whose ``spec`` says what a worker executes: a command
template (``"python train.py --lr {lr}"``, filled with the run's effective params, every value
shell-quoted) or a function (``"package.module:train"``). Configurations that already completed
(same effective params: study defaults overlaid by the run's params) are skipped, and so are
those already queued or running, unless ``repeats`` asks for more copies.
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hyperlab.errors import InvalidValueError
from hyperlab.execute.templates import render_command
from hyperlab.store import RunState, Store, StudyRecord, codec, open_store
from hyperlab.store import queue as q

if TYPE_CHECKING:
    from hyperlab.tracking.study import Study

_FUNCTION = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")
QUEUE_STATES = (RunState.QUEUED, RunState.RUNNING)


@dataclass
class EnqueueResult:
    """What :func:`enqueue` did.

    Attributes:
        run_ids: Ids of the new queued runs, in order.
        skipped_completed: Configurations left out because they already completed.
        skipped_pending: Configurations left out because they are already queued or running.
    """

    run_ids: list[int] = field(default_factory=list)
    skipped_completed: int = 0
    skipped_pending: int = 0

    @property
    def queued(self) -> int:
        """How many runs were queued."""
        return len(self.run_ids)

    def __str__(self) -> str:
        return (
            f"queued {self.queued} run(s); skipped {self.skipped_completed} already completed "
            f"and {self.skipped_pending} already queued or running"
        )


def effective(record: StudyRecord, flat: Mapping[str, Any]) -> dict[str, Any]:
    """A run's effective params: the study's plain defaults overlaid by its own params."""
    return {**codec.flatten(record.plain_defaults()), **flat}


def effective_hash(record: StudyRecord, flat: Mapping[str, Any]) -> str:
    """The hash that identifies a configuration within a study (see :func:`effective`)."""
    from hyperlab.space.hashing import params_hash

    return params_hash(effective(record, flat))


def _configs(space_or_params: Any) -> list[dict[str, Any]]:
    """Flat param dicts from one dict, an iterable of dicts or a ParamSpace."""
    try:
        from hyperlab.space import ParamSpace
    except ImportError:  # pragma: no cover - the space package is optional at this layer
        ParamSpace = None  # type: ignore[assignment,misc]  # noqa: N806
    if ParamSpace is not None and isinstance(space_or_params, ParamSpace):
        items: Iterable[Any] = iter(space_or_params)
    elif isinstance(space_or_params, Mapping):
        items = [space_or_params]
    elif isinstance(space_or_params, Iterable) and not isinstance(space_or_params, (str, bytes)):
        items = space_or_params
    else:
        raise InvalidValueError(
            f"enqueue expects a params dict, a list of dicts or a ParamSpace, got "
            f"{type(space_or_params).__name__} {space_or_params!r}"
        )
    configs = []
    for item in items:
        if not isinstance(item, Mapping):
            raise InvalidValueError(
                f"each configuration must be a dict of params, got {type(item).__name__} {item!r}"
            )
        configs.append(codec.flatten(item))
    return configs


def _spec(command: str | None, function: str | None, cwd: str) -> dict[str, Any]:
    if (command is None) == (function is None):
        raise InvalidValueError(
            "enqueue needs exactly one of command='python train.py --lr {lr}' or "
            "function='package.module:train'"
        )
    if function is not None:
        if not _FUNCTION.match(function):
            raise InvalidValueError(
                f"function must look like 'package.module:train', got {function!r}"
            )
        return {"kind": "function", "function": function, "cwd": cwd}
    return {"kind": "command", "command": command, "cwd": cwd}


def enqueue(
    study: Study,
    space_or_params: Any,
    *,
    command: str | None = None,
    function: str | None = None,
    repeats: int = 1,
    priority: int = 0,
    max_attempts: int = 3,
    tags: Sequence[str] = (),
    cwd: str | Path | None = None,
) -> EnqueueResult:
    """Queue runs of a study for workers (see :meth:`hyperlab.Study.enqueue`)."""
    if not isinstance(repeats, int) or repeats < 1:
        raise InvalidValueError(f"repeats must be an integer >= 1, got {repeats!r}")
    if not isinstance(max_attempts, int) or max_attempts < 1:
        raise InvalidValueError(f"max_attempts must be an integer >= 1, got {max_attempts!r}")
    spec = _spec(command, function, str(Path(cwd or os.getcwd()).resolve()))
    record = study.refresh().record
    configs = _configs(space_or_params)
    rendered: list[str | None] = []
    for flat in configs:
        # Fill every template before writing anything: a bad placeholder fails the whole call.
        rendered.append(
            None if command is None else render_command(command, effective(record, flat))
        )
    from hyperlab.space.hashing import params_hash

    result = EnqueueResult()
    store = study.store
    with store.write() as conn:
        done: Counter[str] = Counter()
        pending: Counter[str] = Counter()
        for state, flat in q.study_configs(
            conn, record.id, [RunState.COMPLETED, RunState.QUEUED, RunState.RUNNING]
        ):
            target = done if state == RunState.COMPLETED.value else pending
            target[effective_hash(record, flat)] += 1
        items = []
        for flat, text in zip(configs, rendered, strict=True):
            key = effective_hash(record, flat)
            have_done, have_pending = done[key], pending[key]
            missing = repeats - have_done - have_pending
            if missing <= 0:
                if have_done >= repeats:
                    result.skipped_completed += 1
                else:
                    result.skipped_pending += 1
                continue
            pending[key] += missing
            for _ in range(missing):
                items.append(
                    q.QueuedRun(
                        flat_params=flat,
                        params_hash=params_hash(flat),
                        spec=spec,
                        command=text,
                        priority=priority,
                        max_attempts=max_attempts,
                        tags=tags,
                    )
                )
        result.run_ids = q.enqueue_runs(conn, record.id, items)
    return result


def _study_ids(store: Store, study: str | Sequence[str] | None) -> list[int] | None:
    if study is None:
        return None
    names = [study] if isinstance(study, str) else list(study)
    ids: list[int] = []
    for name in names:
        base, sep, version = name.partition("@")
        if sep:
            ids.append(store.get_study(base, version).id)
            continue
        found = store.list_studies([base])
        if not found:
            store.get_study(base)  # raises StudyNotFoundError listing the known studies
        ids.extend(r.id for r in found)
    return ids


class Queue:
    """The queue of one study, several, or the whole store: list, pause, resume, cancel, retry.

    Get one with :func:`hyperlab.queue`. ``expr`` arguments use the query language to narrow
    the runs acted on (``'lr < 0.01'``).
    """

    def __init__(
        self, study: str | Sequence[str] | None = None, *, store: Store | str | Path | None = None
    ) -> None:
        self.store = store if isinstance(store, Store) else open_store(store)
        self.study = study

    def _ids(
        self, expr: str | None, states: Sequence[RunState], *, with_spec: bool = False
    ) -> list[int]:
        study_ids = _study_ids(self.store, self.study)
        with self.store.write() as conn:
            q.recover_expired(conn, time.time())
        with self.store.read() as conn:
            ids = q.queue_ids(conn, study_ids, states, with_spec=with_spec)
        if expr is None or not expr.strip():
            return ids
        from hyperlab.querying.selection import build_context, select_ids, select_studies

        records = select_studies(self.store, self.study)
        wanted = set(
            select_ids(self.store, expr, records, build_context(self.store, records), None, None)
        )
        return [i for i in ids if i in wanted]

    def ls(self, expr: str | None = None, *, finished: bool = False) -> list[dict[str, Any]]:
        """Queued (and paused) and running runs in claim order, as dicts.

        Args:
            expr: Only runs matching this query.
            finished: Also list queue runs that ended (completed, failed, lost, ...).
        """
        states = list(RunState) if finished else list(QUEUE_STATES)
        ids = self._ids(expr, states, with_spec=finished)
        with self.store.read() as conn:
            rows = q.queue_rows(conn, ids)
        for row in rows:
            if row["state"] == RunState.QUEUED.value and row["lease_owner"] == q.PAUSED_OWNER:
                row["state"] = "paused"
                row["lease_owner"] = None
        return rows

    def counts(self) -> dict[str, int]:
        """Runs by state, with paused queued runs counted as ``paused``."""
        with self.store.read() as conn:
            return q.state_counts(conn, _study_ids(self.store, self.study))

    def pause(self, expr: str | None = None) -> int:
        """Hold queued runs: workers skip them until :meth:`resume`. Returns how many."""
        ids = self._ids(expr, [RunState.QUEUED])
        with self.store.write() as conn:
            return q.pause(conn, ids)

    def resume(self, expr: str | None = None) -> int:
        """Let workers claim paused runs again. Returns how many."""
        ids = self._ids(expr, [RunState.QUEUED])
        with self.store.write() as conn:
            return q.resume(conn, ids)

    def cancel(self, expr: str | None = None, *, running: bool = False) -> int:
        """Take queued runs out of the queue (state ``interrupted``, retryable).

        Args:
            expr: Only runs matching this query.
            running: Also stop running runs (their worker stops the command at its next
                heartbeat).
        """
        states = list(QUEUE_STATES) if running else [RunState.QUEUED]
        ids = self._ids(expr, states)
        with self.store.write() as conn:
            return q.cancel(conn, ids, time.time(), running=running)

    def retry(self, expr: str | None = None) -> int:
        """Queue failed, lost and interrupted queue runs again. Returns how many."""
        ids = self._ids(expr, list(q.RETRYABLE_STATES), with_spec=True)
        with self.store.write() as conn:
            return q.retry(conn, ids)


def queue(
    study: str | Sequence[str] | None = None, *, store: Store | str | Path | None = None
) -> Queue:
    """The queue of a study (``"name"`` or ``"name@version"``), several, or all studies.

    Example:
        >>> hl.queue("mnist").pause('lr > 0.1')  # doctest: +SKIP
    """
    return Queue(study, store=store)
