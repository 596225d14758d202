"""``hl.import_hydra``: Hydra runs into a hyperlab study, once each.

Each Hydra run becomes a completed hyperlab run: params from its config, tags from its
overrides, the run folder as its run directory, start time from its ``.hydra/config.yaml``, and
metrics from the files named by ``metrics`` (see :mod:`hyperlab.importers.hydra_metrics`).
Importing again is a no-op for runs already there: a run is known by its folder and the hash of
its config, so a folder whose config changed is imported again as a new run.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as time_of_day
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hyperlab.errors import ImportError_, InvalidValueError
from hyperlab.importers.hydra_config import ConfigProblemError, read_run_config
from hyperlab.importers.hydra_frame import make_matcher
from hyperlab.importers.hydra_layout import Problems, discover
from hyperlab.importers.hydra_metrics import read_run_metrics
from hyperlab.store import codec

if TYPE_CHECKING:
    from hyperlab.store import Store
    from hyperlab.tracking.study import Study

BATCH_SIZE = 500
MAX_TAG_LENGTH = 255


@dataclass
class ImportReport:
    """What one import pass did.

    Attributes:
        imported: Runs added to the study now.
        existing: Runs found already imported (same folder and config).
        pending: Runs left for later because no metric file matched yet (a job still going).
        skipped: Runs that could not be read (each reported in a warning).
        run_ids: Ids of the runs added, in folder order.
    """

    imported: int = 0
    existing: int = 0
    pending: int = 0
    skipped: int = 0
    run_ids: list[int] = field(default_factory=list)

    def add(self, other: ImportReport) -> None:
        """Accumulate another pass (``existing`` and ``pending`` are the latest pass's)."""
        self.imported += other.imported
        self.skipped += other.skipped
        self.existing = other.existing
        self.pending = other.pending
        self.run_ids.extend(other.run_ids)


def _get_study(study: str | Study, version: str | None, store: Store | str | Path | None) -> Study:
    from hyperlab.tracking.study import Study
    from hyperlab.tracking.study import study as get_study

    if isinstance(study, Study):
        return study
    if not isinstance(study, str) or not study:
        raise InvalidValueError(f"study must be a study name or a Study, got {study!r}")
    return get_study(study, version=version, store=store)


def _tags(overrides: Sequence[str]) -> list[str]:
    return [o for o in overrides if o.strip() and len(o) <= MAX_TAG_LENGTH]


def _name(base: str, run_path: str) -> str:
    """The run's path below ``base`` (``2024-05-01/13-45-00/3``), or its folder name."""
    prefix = base.rstrip("/\\") + os.sep
    if run_path.startswith(prefix):
        rel = run_path[len(prefix) :]
    else:
        rel = os.path.basename(os.path.normpath(run_path))
    return rel.replace(os.sep, "/")[-255:]


def import_hydra(
    base_path: str | os.PathLike[str],
    study: str | Study,
    *,
    metrics: str | Sequence[str] = (),
    version: str | None = None,
    store: Store | str | Path | None = None,
    logic: str = "auto",
    filter_date: str | date | datetime | None = None,
    filter_hms: str | time_of_day | datetime | None = None,
    resolve: bool = False,
    strict: bool = False,
    include_incomplete: bool = False,
) -> ImportReport:
    """Import the Hydra runs under ``base_path`` into a study (idempotent).

    Args:
        base_path: A Hydra output folder, DATE folder, experiment or run (as in
            :func:`hyperlab.load_hydra`).
        study: A study name (created if new) or a :class:`~hyperlab.Study`.
        metrics: Glob pattern(s), relative to each run folder, of metric files: a JSON dict of
            final values, JSON lines, a CSV/whitespace table with a step column, ``.npy``
            curves.
        version: The study version (with a study name).
        store: A store, URL or None for the default store (with a study name).
        logic: ``"auto"``, ``"multirun"`` or ``"singlerun"``.
        filter_date: Import one day only (see :func:`hyperlab.load_hydra`).
        filter_hms: Import one experiment time only.
        resolve: Resolve ``${...}`` interpolations in configs before storing them.
        strict: Raise instead of warning when a run cannot be read.
        include_incomplete: Import runs that have none of the ``metrics`` files yet (they are
            otherwise left pending, for a later import or ``--watch``).

    Returns:
        An :class:`ImportReport`.
    """
    target = _get_study(study, version, store)
    base = os.fspath(base_path)
    problems = Problems(strict)
    folders = discover(
        base, logic=logic, filter_date=filter_date, filter_hms=filter_hms, problems=problems
    )
    patterns = [metrics] if isinstance(metrics, str) else list(metrics)
    match = make_matcher(patterns) if patterns else None
    known = {(run_dir, h) for _, run_dir, h in target.store.run_dirs(target.id) if run_dir}
    known_dirs = {run_dir for run_dir, _ in known}
    report = ImportReport()
    items: list[dict[str, Any]] = []
    for folder in folders:
        run_dir = os.path.abspath(folder.path)
        try:
            config = read_run_config(folder.path, resolve=resolve)
            if run_dir in known_dirs and (run_dir, _params_hash(config.config)) in known:
                report.existing += 1
                continue
        except (ConfigProblemError, InvalidValueError) as problem:
            problems.report(f"skipped run {folder.path!r}: {problem}")
            report.skipped += 1
            continue
        files = match(folder.path) if match is not None else []
        if match is not None and not files and not include_incomplete:
            report.pending += 1
            continue
        try:
            found = read_run_metrics(files)
        except ImportError_ as problem:
            problems.report(f"skipped run {folder.path!r}: {problem}")
            report.skipped += 1
            continue
        ended = max((os.path.getmtime(f) for f in files), default=None)
        items.append(
            {
                "params": config.config,
                "final": found.final,
                "curves": found.curves,
                "tags": _tags(config.overrides),
                "started_at": config.started_at,
                "ended_at": ended,
                "run_dir": run_dir,
                "name": _name(base, folder.path),
            }
        )
        if len(items) >= BATCH_SIZE:
            report.run_ids.extend(target.record_runs(items))
            items = []
    if items:
        report.run_ids.extend(target.record_runs(items))
    report.imported = len(report.run_ids)
    return report


def _params_hash(config: dict[str, Any]) -> str:
    from hyperlab.space.hashing import params_hash

    return params_hash(codec.flatten(config))


def watch_hydra(
    base_path: str | os.PathLike[str],
    study: str | Study,
    *,
    interval_s: float = 10.0,
    iterations: int | None = None,
    timeout_s: float | None = None,
    on_pass: Callable[[ImportReport], None] | None = None,
    **options: Any,
) -> ImportReport:
    """Keep importing new runs as a sweep progresses (see :func:`import_hydra`).

    Args:
        base_path: The folder to watch.
        study: A study name or :class:`~hyperlab.Study`.
        interval_s: Seconds between passes.
        iterations: Stop after this many passes (None: until ``timeout_s`` or Ctrl-C).
        timeout_s: Stop after about this many seconds (None: no limit).
        on_pass: Called with each pass's report (the CLI prints progress with it).
        **options: Passed to :func:`import_hydra` (``metrics``, ``version``, ``store``, ...).

    Returns:
        The accumulated report of every pass.
    """
    if iterations is not None and iterations < 1:
        raise InvalidValueError(f"iterations must be >= 1 or None, got {iterations}")
    if interval_s < 0:
        raise InvalidValueError(f"interval_s must be >= 0, got {interval_s}")
    target = _get_study(study, options.pop("version", None), options.pop("store", None))
    total = ImportReport()
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    done = 0
    try:
        while True:
            current = import_hydra(base_path, target, **options)
            total.add(current)
            done += 1
            if on_pass is not None:
                on_pass(current)
            if iterations is not None and done >= iterations:
                break
            if deadline is not None and time.monotonic() + interval_s > deadline:
                break
            time.sleep(interval_s)
    except KeyboardInterrupt:
        pass
    return total
