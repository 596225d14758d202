"""The :class:`Study` handle, :func:`study` and :func:`start_run`: where tracking starts."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hyperlab.errors import InvalidValueError
from hyperlab.store import RunState, Store, StudyRecord, codec, open_store
from hyperlab.store.ingest import Series
from hyperlab.store.store import NewRun
from hyperlab.tracking import capture
from hyperlab.tracking.run import Run
from hyperlab.tracking.writer import MetricWriter, writer_for

if TYPE_CHECKING:
    import pandas as pd


def _as_store(store: Store | str | Path | None) -> Store:
    return store if isinstance(store, Store) else open_store(store)


class Study:
    """A named family of runs, with a version, metric directions and param defaults.

    Get one with :func:`hyperlab.study`; the same name and version always give the same study.
    """

    def __init__(self, store: Store, record: StudyRecord) -> None:
        self.store = store
        self.record = record

    @property
    def id(self) -> int:
        """The study's id in the store."""
        return self.record.id

    @property
    def name(self) -> str:
        """The study's name."""
        return self.record.name

    @property
    def version(self) -> str:
        """The code version this study records (``""`` when none was given)."""
        return self.record.version

    @property
    def description(self) -> str | None:
        """What changed in this version."""
        return self.record.description

    @property
    def directions(self) -> dict[str, str]:
        """Metric -> "min" | "max"; the first entry is the study's main metric."""
        return dict(self.record.directions)

    @property
    def defaults(self) -> dict[str, Any]:
        """Declared (unconditional) param defaults, flattened with dots."""
        return self.record.plain_defaults()

    def __repr__(self) -> str:
        return f"<Study {self.record.label!r} id={self.id}>"

    def _writer(self) -> MetricWriter:
        return writer_for(self.store)

    def refresh(self) -> Study:
        """Re-read the study's declarations from the store."""
        self.record = self.store.study_by_id(self.id)
        return self

    def start_run(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        tags: Iterable[str] = (),
        notes: str | None = None,
        name: str | None = None,
    ) -> Run:
        """Start a run (use it as a context manager).

        Args:
            params: Hyper-parameters; nested dicts are flattened with dots (``optim.lr``).
            tags: Labels to find the run by (``tags contains "baseline"``).
            notes: Free text.
            name: A human name for the run.

        Returns:
            The running :class:`Run`.
        """
        flat = codec.flatten(params or {})
        now = time.time()
        fields = capture.run_fields()
        fields.update(started_at=now, heartbeat_at=now, notes=notes, name=name)
        run_id, number = self.store.create_run(
            self.id,
            flat_params=flat,
            params_hash=params_hash(flat),
            state=RunState.RUNNING,
            tags=list(tags),
            fields=fields,
        )
        run = Run(self, run_id, number, flat)
        if notes:
            run._notes.append(notes)
        if fields.get("git_dirty"):
            capture.save_git_diff(run.dir)
        run._begin()
        return run

    def record_run(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        final: Mapping[str, float] | None = None,
        curves: Mapping[str, Sequence[tuple[int, float]] | Sequence[float]] | None = None,
        state: str | RunState = RunState.COMPLETED,
        tags: Iterable[str] = (),
        meta: Mapping[str, Any] | None = None,
        started_at: float | None = None,
        ended_at: float | None = None,
        run_dir: str | None = None,
        name: str | None = None,
    ) -> int:
        """Store a finished run in one transaction (imports, runs made elsewhere).

        Args:
            params: Hyper-parameters (nested dicts are flattened).
            final: Final metric values.
            curves: Metric -> values (steps 0, 1, ...) or (step, value) pairs.
            state: The run's state (default completed).
            tags: Labels.
            meta: Free-form facts (``meta.x`` in queries).
            started_at: Start time, epoch seconds.
            ended_at: End time, epoch seconds.
            run_dir: Where the run's files are.
            name: A human name.

        Returns:
            The new run's id.
        """
        return self.record_runs(
            [
                {
                    "params": params,
                    "final": final,
                    "curves": curves,
                    "state": state,
                    "tags": tags,
                    "meta": meta,
                    "started_at": started_at,
                    "ended_at": ended_at,
                    "run_dir": run_dir,
                    "name": name,
                }
            ]
        )[0]

    def record_runs(self, items: Iterable[Mapping[str, Any]]) -> list[int]:
        """Store many finished runs, in batched transactions; returns their ids in order.

        Each item takes the keyword arguments of :meth:`record_run`.
        """
        specs = [_new_run(item) for item in items]
        created = self.store.create_runs(
            self.id, [s for s, _ in specs], directions=self.directions
        )
        ids = [run_id for run_id, _ in created]
        for run_id, (_, flat_meta) in zip(ids, specs, strict=True):
            if flat_meta:
                self.store.merge_meta(run_id, flat_meta)
        return ids

    def runs(
        self,
        expr: str | None = None,
        *,
        sort: str | None = None,
        limit: int | None = None,
        columns: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """This study's runs as a DataFrame (see :func:`hyperlab.query`)."""
        from hyperlab.querying.frames import query

        return query(
            expr,
            study=self.name,
            version=self.version,
            sort=sort,
            limit=limit,
            columns=columns,
            store=self.store,
        )


def _new_run(item: Mapping[str, Any]) -> tuple[NewRun, dict[str, Any]]:
    """A :class:`NewRun` (and the flat meta) from :meth:`Study.record_run` arguments."""
    unknown = set(item) - _RECORD_KEYS
    if unknown:
        raise InvalidValueError(
            f"unknown run fields {sorted(unknown)}; valid: {', '.join(sorted(_RECORD_KEYS))}"
        )
    flat = codec.flatten(item.get("params") or {})
    ended_at = item.get("ended_at")
    stamp = ended_at or time.time()
    series = []
    for key, points in (item.get("curves") or {}).items():
        steps: list[int] = []
        values: list[float] = []
        for i, point in enumerate(points):
            if isinstance(point, (tuple, list)):
                steps.append(int(point[0]))
                values.append(codec.coerce_metric(key, point[1]))
            else:
                steps.append(i)
                values.append(codec.coerce_metric(key, point))
        series.append(Series(0, key, steps, values, [stamp] * len(values)))
    flat_meta = codec.flatten(item.get("meta") or {})
    fields: dict[str, Any] = {
        "started_at": item.get("started_at"),
        "ended_at": ended_at,
        "name": item.get("name"),
        "run_dir": item.get("run_dir"),
        "meta": flat_meta,
    }
    final = {k: codec.coerce_metric(k, v) for k, v in (item.get("final") or {}).items()}
    spec = NewRun(
        flat_params=flat,
        params_hash=params_hash(flat),
        state=RunState.parse(item.get("state") or RunState.COMPLETED),
        tags=list(item.get("tags") or ()),
        fields=fields,
        final=final,
        series=series,
    )
    return spec, flat_meta


_RECORD_KEYS = frozenset(
    {
        "params",
        "final",
        "curves",
        "state",
        "tags",
        "meta",
        "started_at",
        "ended_at",
        "run_dir",
        "name",
    }
)


def params_hash(flat: Mapping[str, Any]) -> str:
    """The stable content hash of a flat params dict (see :func:`hyperlab.params_hash`)."""
    from hyperlab.space.hashing import params_hash as space_hash

    return space_hash(flat)


def study(
    name: str,
    *,
    version: str | int | None = None,
    description: str | None = None,
    defaults: Mapping[str, Any] | None = None,
    directions: Mapping[str, str] | None = None,
    store: Store | str | Path | None = None,
) -> Study:
    """Get or create a study.

    Args:
        name: The study's name (like hypero's battery).
        version: The code version; each (name, version) is its own study.
        description: What changed in this version.
        defaults: Param defaults that apply to every run lacking the param (also older runs).
        directions: Metric -> "min" or "max"; the first is the main metric ("best" run).
        store: A :class:`Store`, a URL, or None for the default store.

    Returns:
        The :class:`Study`; asking twice (even from two processes at once) gives the same one.
    """
    target = _as_store(store)
    record = target.get_or_create_study(
        name,
        None if version is None else str(version),
        description=description,
        directions=directions,
        defaults=defaults,
    )
    return Study(target, record)


_get_study = study


def start_run(
    study: str | Study,
    params: Mapping[str, Any] | None = None,
    *,
    tags: Iterable[str] = (),
    notes: str | None = None,
    name: str | None = None,
    store: Store | str | Path | None = None,
) -> Run:
    """Shortcut for ``hl.study(study).start_run(...)``."""
    target = study if isinstance(study, Study) else _get_study(study, store=store)
    return target.start_run(params, tags=tags, notes=notes, name=name)


def current_run() -> Run | None:
    """The innermost run open in this process (None outside a run)."""
    from hyperlab.tracking import active

    return active.current()
