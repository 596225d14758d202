"""Finding Hydra run folders: projects, experiments (DATE/TIME), runs (folders with ``.hydra/``).

Hydra writes a single run to ``outputs/DATE/TIME/`` and each job of a multirun to
``multirun/DATE/TIME/N/`` (``N`` is ``hydra.sweep.subdir``, the job number by default). A run
folder is recognised by the ``.hydra/`` folder inside it, never by its name, so custom
``hydra.sweep.subdir`` values work: the run key is then the folder name (or the path below the
experiment when the subdir is nested).

The walk uses :func:`os.scandir` only: no globbing, no stat of files that are not candidates.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from hyperlab.errors import ImportError_, InvalidValueError, NotFoundError

LOGICS = ("auto", "multirun", "singlerun")
HYDRA_DIR = ".hydra"
SINGLE_RUN_KEY = "0"
"""The run key of a single-run experiment (Hydra's ``outputs/DATE/TIME/``)."""
MAX_SUBDIR_DEPTH = 3
"""How deep below an experiment folder a (nested, custom) run folder is looked for."""

_DATE_FORMATS = ("%Y-%m-%d", "%Y_%m_%d", "%Y%m%d")
_TIME_FORMATS = (
    "%H-%M-%S",
    "%H-%M-%S-%f",
    "%H-%M-%S.%f",
    "%H_%M_%S",
    "%H:%M:%S",
    "%H%M%S",
    "%H-%M",
)


class HydraLoadWarning(UserWarning):
    """Something under a Hydra output folder was skipped (the load goes on)."""


@dataclass(frozen=True)
class RunFolder:
    """One Hydra run folder found on disk.

    Attributes:
        path: The run folder, joined onto the base path as the caller gave it.
        experiment: When the experiment started (from its DATE and TIME folders), if known.
        experiment_path: The experiment folder (``DATE/TIME``).
        key: The run's key: the job folder's name (``"3"``, ``"0_lr=0.1"``), its path below the
            experiment when nested, or ``"0"`` for a single run.
        layout: ``"multirun"`` or ``"singlerun"``.
    """

    path: str
    experiment: datetime | None
    experiment_path: str
    key: str
    layout: str


class Problems:
    """Where skipped folders are reported: one warning each, or an error with ``strict``."""

    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.count = 0

    def report(self, message: str) -> None:
        """Warn (or raise :class:`~hyperlab.errors.ImportError_` when strict)."""
        self.count += 1
        if self.strict:
            raise ImportError_(message + " (strict=True)")
        warnings.warn(message, HydraLoadWarning, stacklevel=4)


def parse_date(name: str) -> date | None:
    """The date a DATE folder name stands for (``2024-05-01``), or None."""
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(name, fmt).date()
        except ValueError:
            continue
    return None


def parse_time(name: str) -> time | None:
    """The time a TIME folder name stands for (``13-45-00``), or None."""
    for fmt in _TIME_FORMATS:
        try:
            return datetime.strptime(name, fmt).time()
        except ValueError:
            continue
    return None


def _subdirs(path: str) -> Iterator[os.DirEntry[str]]:
    """Visible sub-folders of ``path`` (hidden ones such as ``.hydra`` and ``.git`` left out)."""
    try:
        with os.scandir(path) as it:
            entries = [e for e in it if not e.name.startswith(".") and _is_dir(e)]
    except (NotADirectoryError, FileNotFoundError, PermissionError):
        return
    yield from entries


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _has_hydra(path: str) -> bool:
    return os.path.isdir(os.path.join(path, HYDRA_DIR))


@dataclass(frozen=True)
class Experiment:
    """A DATE/TIME folder (one Hydra invocation) before its runs are listed."""

    path: str
    started: datetime | None


def find_experiments(base: str, problems: Problems) -> list[Experiment]:
    """The experiment folders under ``base`` (a project, a DATE folder, an experiment or a run).

    Raises:
        ImportError_: when ``base`` is not a folder.
    """
    if not os.path.isdir(base):
        raise ImportError_(
            f"Hydra output folder {base!r} does not exist or is not a folder; pass the folder "
            "Hydra writes to (e.g. 'multirun' or 'outputs'), a DATE/TIME folder or a run folder"
        )
    here = os.path.basename(os.path.normpath(os.path.abspath(base)))
    parent = os.path.basename(os.path.dirname(os.path.normpath(os.path.abspath(base))))
    if any(_has_hydra(e.path) for e in _subdirs(base)):
        # ``base`` is itself an experiment: its date and time come from its path.
        return [Experiment(base, _combine(parse_date(parent), parse_time(here)))]
    day = parse_date(here)
    if day is not None:
        return _times(base, day, problems)
    found: list[Experiment] = []
    for entry in sorted(_subdirs(base), key=lambda e: e.name):
        entry_day = parse_date(entry.name)
        if entry_day is None:
            problems.report(
                f"skipped {entry.path!r}: not a DATE folder (expected a name like 2024-05-01) "
                "and no Hydra run folder (.hydra/) inside"
            )
            continue
        found.extend(_times(entry.path, entry_day, problems))
    return found


def _times(day_path: str, day: date, problems: Problems) -> list[Experiment]:
    found = []
    for entry in sorted(_subdirs(day_path), key=lambda e: e.name):
        moment = parse_time(entry.name)
        if moment is None:
            problems.report(
                f"skipped {entry.path!r}: not a TIME folder (expected a name like 13-45-00)"
            )
            continue
        found.append(Experiment(entry.path, datetime.combine(day, moment)))
    return found


def run_folder(path: str) -> RunFolder:
    """The :class:`RunFolder` of one run folder given directly (its ``.hydra/`` inside).

    ``DATE/TIME`` is a single run (key ``"0"``); ``DATE/TIME/NAME`` a multirun job (key
    ``NAME``); a run elsewhere has no experiment time.
    """
    full = os.path.normpath(os.path.abspath(path))
    here, parent = os.path.basename(full), os.path.dirname(full)
    grand = os.path.dirname(parent)
    single = _combine(parse_date(os.path.basename(parent)), parse_time(here))
    if single is not None:
        return RunFolder(path, single, path, SINGLE_RUN_KEY, "singlerun")
    job = _combine(parse_date(os.path.basename(grand)), parse_time(os.path.basename(parent)))
    if job is not None:
        return RunFolder(path, job, os.path.dirname(path) or ".", here, "multirun")
    return RunFolder(path, None, path, SINGLE_RUN_KEY, "singlerun")


def _combine(day: date | None, moment: time | None) -> datetime | None:
    if day is None or moment is None:
        return None
    return datetime.combine(day, moment)


def list_runs(experiment: Experiment, logic: str) -> list[RunFolder]:
    """The run folders of one experiment, sorted by key (numbers numerically)."""
    path = experiment.path
    if _has_hydra(path):
        if logic == "multirun":
            return []
        return [RunFolder(path, experiment.started, path, SINGLE_RUN_KEY, "singlerun")]
    if logic == "singlerun":
        return []
    runs = [
        RunFolder(run_path, experiment.started, path, key, "multirun")
        for run_path, key in _job_folders(path, "", 1)
    ]
    runs.sort(key=lambda r: natural_key(r.key))
    return runs


def _job_folders(path: str, prefix: str, depth: int) -> Iterator[tuple[str, str]]:
    for entry in _subdirs(path):
        key = f"{prefix}/{entry.name}" if prefix else entry.name
        if _has_hydra(entry.path):
            yield entry.path, key
        elif depth < MAX_SUBDIR_DEPTH:
            yield from _job_folders(entry.path, key, depth + 1)


_DIGITS = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple[Any, ...]:
    """Sort key putting ``2`` before ``10`` (and ``run2`` before ``run10``)."""
    parts = _DIGITS.split(text)
    return tuple((0, int(p), p) if p.isdigit() else (1, 0, p) for p in parts if p != "")


def apply_filters(
    experiments: list[Experiment],
    filter_date: str | date | datetime | None,
    filter_hms: str | time | datetime | None,
) -> list[Experiment]:
    """Keep the experiments matching the date and time filters.

    Raises:
        InvalidValueError: when a filter has a type or format that is not understood.
        NotFoundError: when a filter matches no experiment (the message lists the available
            values).
    """
    if (
        isinstance(filter_hms, str)
        and filter_hms != "last"
        and parse_time(filter_hms) is None
        and parse_date(filter_hms) is not None
        and filter_date is None
    ):
        # experiment_tracker accepted a date in filter_hms; keep that working.
        filter_date, filter_hms = filter_hms, None
    chosen = experiments
    if filter_date is not None:
        chosen = _filter_date(chosen, filter_date)
    if filter_hms is not None:
        chosen = _filter_hms(chosen, filter_hms)
    return chosen


def _available(values: set[str]) -> str:
    listed = sorted(values)
    shown = ", ".join(listed[:20]) + (f", ... ({len(listed)} in all)" if len(listed) > 20 else "")
    return shown or "none (no dated experiment folders were found)"


def _filter_date(experiments: list[Experiment], value: str | date | datetime) -> list[Experiment]:
    dated = [e for e in experiments if e.started is not None]
    days = {e.started.date() for e in dated if e.started is not None}
    if value == "last":
        wanted = max(days) if days else None
    elif isinstance(value, datetime):
        wanted = value.date()
    elif isinstance(value, date):
        wanted = value
    elif isinstance(value, str):
        wanted = parse_date(value)
        if wanted is None:
            raise InvalidValueError(
                f"filter_date={value!r} is not a date; use 'YYYY-MM-DD', a datetime.date, "
                "a datetime or 'last'"
            )
    else:
        raise InvalidValueError(
            f"filter_date must be a string, a date, a datetime or 'last', got "
            f"{type(value).__name__} {value!r}"
        )
    chosen = [e for e in dated if e.started is not None and e.started.date() == wanted]
    if not chosen:
        raise NotFoundError(
            f"filter_date={value!r} matches no experiment; available dates: "
            f"{_available({d.isoformat() for d in days})}"
        )
    return chosen


def _filter_hms(experiments: list[Experiment], value: str | time | datetime) -> list[Experiment]:
    dated = [e for e in experiments if e.started is not None]
    stamps = {e.started for e in dated if e.started is not None}
    if value == "last":
        newest = max(stamps) if stamps else None
        chosen = [e for e in dated if e.started == newest]
    elif isinstance(value, datetime):
        chosen = [e for e in dated if e.started == value]
    elif isinstance(value, (time, str)):
        wanted = parse_time(value) if isinstance(value, str) else value
        if wanted is None:
            raise InvalidValueError(
                f"filter_hms={value!r} is not a time; use 'HH-MM-SS', a datetime.time, a "
                "datetime (one experiment) or 'last'"
            )
        chosen = [e for e in dated if e.started is not None and e.started.time() == wanted]
    else:
        raise InvalidValueError(
            f"filter_hms must be a string, a time, a datetime or 'last', got "
            f"{type(value).__name__} {value!r}"
        )
    if not chosen:
        raise NotFoundError(
            f"filter_hms={value!r} matches no experiment; available experiments: "
            f"{_available({s.strftime('%Y-%m-%d %H-%M-%S') for s in stamps})}"
        )
    return chosen


def discover(
    base: str | os.PathLike[str],
    *,
    logic: str = "auto",
    filter_date: str | date | datetime | None = None,
    filter_hms: str | time | datetime | None = None,
    problems: Problems | None = None,
) -> list[RunFolder]:
    """Every run folder under ``base`` passing the filters, sorted by experiment then run.

    Args:
        base: A Hydra output folder (``multirun``), a DATE folder, an experiment or a run.
        logic: ``"auto"`` (each experiment's layout detected), ``"multirun"`` or ``"singlerun"``.
        filter_date: Keep one day (see :func:`hyperlab.load_hydra`).
        filter_hms: Keep one experiment time (see :func:`hyperlab.load_hydra`).
        problems: Where skipped folders are reported (default: warnings).

    Raises:
        InvalidValueError: for an unknown ``logic`` or a malformed filter.
        NotFoundError: when a filter matches nothing.
        ImportError_: when ``base`` is not a folder.
    """
    if logic not in LOGICS:
        raise InvalidValueError(f"logic={logic!r} is not valid; use one of {', '.join(LOGICS)}")
    problems = problems or Problems(strict=False)
    root = os.fspath(base)
    if _has_hydra(root):
        return [run_folder(root)]
    experiments = find_experiments(root, problems)
    experiments = apply_filters(experiments, filter_date, filter_hms)
    experiments.sort(key=lambda e: (e.started is None, e.started or datetime.min, e.path))
    runs: list[RunFolder] = []
    for experiment in experiments:
        runs.extend(list_runs(experiment, logic))
    return runs
