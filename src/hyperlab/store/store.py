"""The :class:`Store` facade and :func:`open_store`: the one door to the database.

Everything that knows SQL lives in this package; the rest of hyperlab calls these methods. Driver
errors are translated at this boundary into :class:`~hyperlab.errors.StoreError` with the URL
(password hidden) and what to do.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from hyperlab import settings
from hyperlab.errors import HyperlabError, IntegrityError, InvalidValueError, StoreError
from hyperlab.store import engine as engines
from hyperlab.store import ingest, migrate, reads, runs, studies
from hyperlab.store.records import RunRecord, RunState, StudyRecord


@dataclass
class NewRun:
    """What :meth:`Store.create_runs` needs to insert one run."""

    flat_params: Mapping[str, Any]
    params_hash: str | None = None
    state: RunState = RunState.RUNNING
    tags: Sequence[str] = ()
    fields: Mapping[str, Any] | None = None
    final: Mapping[str, float] | None = None
    series: Sequence[ingest.Series] = ()


_OPEN: dict[str, Store] = {}
_OPEN_LOCK = threading.Lock()
STALE_GRACE_FACTOR = 3.0
"""A running run is lost once its heartbeat is this many intervals old."""


class Store:
    """A hyperlab store on SQLite or PostgreSQL.

    Use :func:`open_store` rather than the constructor: it resolves the default location and
    reuses one engine per URL within a process.
    """

    def __init__(self, url: str, *, create: bool = True) -> None:
        self._before_read: list[Callable[[], object]] = []
        self.url = engines.normalize_url(url)
        self.engine = engines.create_engine(self.url)
        self.dialect = self.engine.dialect.name
        self.runs_root = engines.runs_root_for(self.url, settings.get_setting("runs_dir"))
        try:
            with self.translate_errors():
                migrate.check_schema(self.engine, self.url, create=create)
        except BaseException:
            self.engine.dispose()  # no pooled connection may outlive a store that failed to open
            raise

    def __repr__(self) -> str:
        return f"Store({self.safe_url!r})"

    @property
    def safe_url(self) -> str:
        """The URL with any password hidden."""
        return sa.engine.make_url(self.url).render_as_string(hide_password=True)

    # -- transactions ---------------------------------------------------------------------
    @contextlib.contextmanager
    def translate_errors(self) -> Iterator[None]:
        """Turn driver errors into hyperlab errors that say which store failed."""
        try:
            yield
        except HyperlabError:
            raise
        except sa_exc.IntegrityError as err:
            raise IntegrityError(f"{self.safe_url}: {err.orig}") from err
        except sa_exc.OperationalError as err:
            raise StoreError(
                f"cannot use the store at {self.safe_url}: {err.orig}; check that the server "
                "is running and the URL is right"
            ) from err
        except sa_exc.DataError as err:
            # A value the database cannot hold (NUL in PostgreSQL text, out-of-range numbers):
            # bad input, not a broken store.
            raise InvalidValueError(f"store {self.safe_url} refused a value: {err.orig}") from err
        except sa_exc.DBAPIError as err:
            raise StoreError(f"store {self.safe_url}: {err.orig}") from err

    @contextlib.contextmanager
    def write(self) -> Iterator[sa.Connection]:
        """A connection inside a short write transaction (SQLite: BEGIN IMMEDIATE)."""
        with self.translate_errors(), self.engine.connect() as conn:
            conn.execution_options(**{engines.WRITE_OPTION: True})
            with conn.begin():
                yield conn

    @contextlib.contextmanager
    def read(self) -> Iterator[sa.Connection]:
        """A connection for reading (one consistent snapshot).

        Writes this process has buffered (see :meth:`add_read_barrier`) are flushed first, so a
        process always reads what it wrote.
        """
        for barrier in self._before_read:
            barrier()
        with self.translate_errors(), self.engine.connect() as conn, conn.begin():
            yield conn

    def add_read_barrier(self, flush: Callable[[], object]) -> None:
        """Call ``flush`` before every read (used by the background metric writer)."""
        if flush not in self._before_read:
            self._before_read.append(flush)

    # -- studies --------------------------------------------------------------------------
    def get_or_create_study(
        self,
        name: str,
        version: str | None = None,
        *,
        description: str | None = None,
        directions: Mapping[str, str] | None = None,
        defaults: Mapping[str, Any] | None = None,
    ) -> StudyRecord:
        """The study ``(name, version)``; created on first use, merged with new declarations."""
        with self.write() as conn:
            return studies.get_or_create(
                conn, name, version or "", description, directions, defaults
            )

    def get_study(self, name: str, version: str | None = None) -> StudyRecord:
        """A study by name (newest version unless one is given)."""
        with self.read() as conn:
            return studies.get(conn, name, version)

    def study_by_id(self, study_id: int) -> StudyRecord:
        """A study by id."""
        with self.read() as conn:
            return studies.by_id(conn, study_id)

    def list_studies(self, names: Sequence[str] | None = None) -> list[StudyRecord]:
        """All studies, oldest first."""
        with self.read() as conn:
            return studies.list_all(conn, names)

    def set_study_defaults(self, study_id: int, defaults: list[dict[str, Any]]) -> None:
        """Replace a study's declared defaults."""
        with self.write() as conn:
            studies.set_defaults(conn, study_id, defaults)

    # -- runs -----------------------------------------------------------------------------
    def create_run(
        self,
        study_id: int,
        *,
        flat_params: Mapping[str, Any],
        params_hash: str | None = None,
        state: RunState = RunState.RUNNING,
        tags: Sequence[str] = (),
        fields: Mapping[str, Any] | None = None,
        final: Mapping[str, float] | None = None,
        series: Sequence[ingest.Series] = (),
        directions: Mapping[str, str] | None = None,
    ) -> tuple[int, int]:
        """Insert a run (and optionally its curves and final values) in one transaction.

        Returns:
            ``(run_id, number)``.
        """
        spec = NewRun(flat_params, params_hash, state, tags, fields, final, series)
        return self.create_runs(study_id, [spec], directions=directions)[0]

    def create_runs(
        self,
        study_id: int,
        specs: Sequence[NewRun],
        *,
        directions: Mapping[str, str] | None = None,
        batch_size: int = 500,
    ) -> list[tuple[int, int]]:
        """Insert many runs, ``batch_size`` per transaction (imports, benchmarks).

        Returns:
            ``(run_id, number)`` of each run, in order.
        """
        created: list[tuple[int, int]] = []
        for start in range(0, len(specs), batch_size):
            with self.write() as conn:
                for spec in specs[start : start + batch_size]:
                    run_id, number = runs.create(
                        conn,
                        study_id,
                        flat_params=spec.flat_params,
                        params_hash=spec.params_hash,
                        state=spec.state,
                        tag_list=runs.validate_tags(spec.tags),
                        fields=spec.fields,
                    )
                    if spec.series:
                        for item in spec.series:
                            item.run_id = run_id
                        ingest.write_series(conn, spec.series, {run_id: directions or {}})
                    if spec.final:
                        ingest.write_final(conn, run_id, spec.final)
                    created.append((run_id, number))
        return created

    def update_run(self, run_id: int, **fields: Any) -> None:
        """Update columns of a run."""
        with self.write() as conn:
            runs.update(conn, run_id, **fields)

    def merge_params(self, run_id: int, flat: Mapping[str, Any]) -> None:
        """Add or replace params of a run."""
        with self.write() as conn:
            runs.merge_kv(conn, run_id, flat, table="params")

    def merge_meta(self, run_id: int, flat: Mapping[str, Any]) -> None:
        """Add or replace free-form facts (``meta.x`` in queries) of a run."""
        with self.write() as conn:
            runs.merge_kv(conn, run_id, flat, table="meta")

    def change_tags(
        self, run_id: int, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> None:
        """Add and remove tags."""
        with self.write() as conn:
            runs.change_tags(conn, run_id, runs.validate_tags(add), list(remove))

    def get_run(self, run_id: int) -> RunRecord:
        """A run by id."""
        with self.read() as conn:
            return runs.get(conn, run_id)

    def get_runs(self, run_ids: Sequence[int]) -> list[RunRecord]:
        """Runs by id, in the order given."""
        with self.read() as conn:
            return runs.get_many(conn, run_ids)

    def resolve_run(self, ref: str | int, study: str | None = None) -> int:
        """A run id from ``42``, ``STUDY/N``, ``last`` or ``best``."""
        with self.read() as conn:
            return runs.resolve(conn, ref, study)

    def run_dirs(self, study_id: int) -> list[tuple[int, str | None, str | None]]:
        """``(run_id, run_dir, params_hash)`` of every run of a study (importers use it to
        skip what they already imported)."""
        from hyperlab.store.schema import runs as runs_table

        query = sa.select(runs_table.c.id, runs_table.c.run_dir, runs_table.c.params_hash)
        with self.read() as conn:
            rows = conn.execute(query.where(runs_table.c.study_id == study_id)).all()
        return [(int(r[0]), r[1], r[2]) for r in rows]

    def delete_runs(self, run_ids: Sequence[int]) -> int:
        """Delete runs with their metrics, params and tags (run directories stay on disk)."""
        with self.write() as conn:
            return runs.delete(conn, run_ids)

    def heartbeat(self, run_ids: Sequence[int], now: float) -> None:
        """Record that these runs' process is alive."""
        if run_ids:
            with self.write() as conn:
                runs.heartbeat(conn, run_ids, now)

    # -- metrics --------------------------------------------------------------------------
    def write_series(
        self,
        batch: Sequence[ingest.Series],
        directions: Mapping[int, Mapping[str, str]],
        *,
        finals: Sequence[tuple[int, Mapping[str, float]]] = (),
        updates: Sequence[tuple[int, Mapping[str, Any]]] = (),
    ) -> int:
        """Write metric points with their summaries, then final values and run updates.

        Everything goes in one transaction, in that order, so a run's final state is never
        stored without the points logged before it. Returns the number of points written.
        """
        with self.write() as conn:
            written = ingest.write_series(conn, batch, directions)
            for run_id, values in finals:
                ingest.write_final(conn, run_id, values)
            runs.update_many(conn, updates)
            return written

    def metric_summaries(self, run_id: int) -> dict[str, dict[str, Any]]:
        """Per-key summaries of a run: value (final, else best, else last), last, min, ..."""
        with self.read() as conn:
            return reads.summaries(conn, run_id)

    def set_final(self, run_id: int, values: Mapping[str, float]) -> None:
        """Record explicit final metric values for a run."""
        with self.write() as conn:
            ingest.write_final(conn, run_id, values)

    def read_points(
        self, run_ids: Sequence[int], keys: Sequence[str] | None = None
    ) -> list[reads.Points]:
        """Decoded metric points of runs, one entry per (run, key)."""
        with self.read() as conn:
            return reads.read_points(conn, run_ids, keys)

    def known_keys(
        self, study_ids: Sequence[int] | None = None
    ) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
        """(param keys, metric keys, meta keys) used in these studies."""
        with self.read() as conn:
            return reads.known_keys(conn, study_ids)

    def study_overview(self) -> list[dict[str, Any]]:
        """Per study: run counts by state, best value of the main metric, last activity."""
        with self.read() as conn:
            return reads.study_overview(conn)

    # -- maintenance ----------------------------------------------------------------------
    def recover_stale_runs(self, now: float | None = None) -> int:
        """Mark runs whose process died as ``lost``; returns how many changed."""
        grace = STALE_GRACE_FACTOR * settings.get_float("heartbeat_interval_s")
        with self.write() as conn:
            return runs.recover_stale(conn, socket.gethostname(), now or time.time(), grace)

    def integrity_check(self) -> list[str]:
        """Problems found by the database's own check (empty when healthy)."""
        with self.read() as conn:
            if self.dialect == "sqlite":
                rows = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check")]
                problems = [] if rows == ["ok"] else rows
                problems += [
                    f"foreign key violation in {r[0]}"
                    for r in conn.exec_driver_sql("PRAGMA foreign_key_check")
                ]
                return problems
            conn.exec_driver_sql("SELECT count(*) FROM runs").scalar()
            return []

    def schema_revision(self) -> str | None:
        """The schema revision stored in the database."""
        return migrate.current_revision(self.engine)

    def dispose(self) -> None:
        """Close pooled connections (call in a forked child before using the store)."""
        self.engine.dispose()


def resolve_url(url: str | None = None) -> str:
    """The store URL: explicit, else ``HYPERLAB_STORE``, else the nearest ``.hyperlab/``."""
    chosen = settings.get_setting("store", url)
    if chosen:
        return engines.normalize_url(chosen)
    return f"sqlite:///{engines.find_default_sqlite_path()}"


def open_store(url: str | Path | None = None, *, create: bool = True) -> Store:
    """Open (and on first use create) a store.

    Args:
        url: ``sqlite:///path.db``, ``postgresql+psycopg://user:pw@host:port/db`` or a file path.
            Default: ``HYPERLAB_STORE``, else the nearest ``.hyperlab/hyperlab.db`` walking up
            from the current directory, else ``./.hyperlab/hyperlab.db``.
        create: Create the schema in an empty database (default). Existing databases at another
            schema revision are never changed: see ``hyperlab db upgrade``.

    Returns:
        A :class:`Store`, shared with other callers in this process that open the same URL.
    """
    resolved = resolve_url(None if url is None else str(url))
    with _OPEN_LOCK:
        store = _OPEN.get(resolved)
        if store is None:
            store = Store(resolved, create=create)
            _OPEN[resolved] = store
        return store


def forget_open_stores() -> None:
    """Drop cached stores (after fork, or in tests that delete databases)."""
    with _OPEN_LOCK:
        for store in _OPEN.values():
            store.dispose()
        _OPEN.clear()
