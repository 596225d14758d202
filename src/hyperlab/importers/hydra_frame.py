"""``hl.load_hydra``: Hydra output folders as one typed pandas DataFrame.

One row per run, indexed by (``experiment``, ``run``); columns are the flattened config, the
overrides, and the paths of the run's files matching a pattern (``collected_path_0..n``).
"""

from __future__ import annotations

import fnmatch
import glob
import os
import re
import warnings
from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from hyperlab.errors import InvalidValueError
from hyperlab.importers.hydra_config import ConfigProblemError, RunConfig, read_run_config
from hyperlab.importers.hydra_layout import (
    HydraLoadWarning,
    Problems,
    RunFolder,
    discover,
)

if TYPE_CHECKING:
    import pandas as pd

OVERRIDES_COLUMN = "overrides"
PATH_COLUMN = "collected_path_{}"


def flatten_config(config: dict[str, Any], sep: str = "/", prefix: str = "") -> dict[str, Any]:
    """Nested config -> one level, keys joined by ``sep`` in config order; lists kept whole."""
    flat: dict[str, Any] = {}
    for key, value in config.items():
        name = f"{prefix}{sep}{key}" if prefix else str(key)
        if isinstance(value, dict) and value:
            flat.update(flatten_config(value, sep, name))
        else:
            flat[name] = value
    return flat


def _patterns(query_string: str | Sequence[str]) -> list[str]:
    patterns = [query_string] if isinstance(query_string, str) else list(query_string)
    for pattern in patterns:
        if not isinstance(pattern, str) or not pattern:
            raise InvalidValueError(
                f"query_string must be a glob pattern or a list of them, got {pattern!r}"
            )
    return patterns


def make_matcher(query_string: str | Sequence[str]) -> Callable[[str], list[str]]:
    """A function listing a run folder's files matching the patterns, sorted, de-duplicated.

    Patterns are relative to the run folder: ``*.npy``, ``ckpt/*.pt``, ``**/*.json``
    (recursive). Names starting with a dot match only patterns starting with a dot, as in glob.
    Paths are returned joined onto the run folder.
    """
    patterns = _patterns(query_string)
    exact = [p for p in patterns if not any(c in p for c in "*?[")]
    simple = [
        p
        for p in patterns
        if p not in exact and "/" not in p and os.sep not in p and "**" not in p
    ]
    deep = [p for p in patterns if p not in simple and p not in exact]
    regexes = [re.compile(fnmatch.translate(p)) for p in simple]
    dotted = [p.startswith(".") for p in simple]

    def match(run_path: str) -> list[str]:
        found: set[str] = set()
        for name in exact:
            full = os.path.join(run_path, name)
            if os.path.isfile(full):
                found.add(full)
        if regexes:
            try:
                with os.scandir(run_path) as it:
                    for entry in it:
                        name = entry.name
                        hidden = name.startswith(".")
                        for regex, dot in zip(regexes, dotted, strict=True):
                            if (dot or not hidden) and regex.match(name) and entry.is_file():
                                found.add(entry.path)
                                break
            except OSError:
                pass
        for pattern in deep:
            for rel in glob.glob(pattern, root_dir=run_path, recursive=True):
                full = os.path.join(run_path, rel)
                if os.path.isfile(full):
                    found.add(full)
        return sorted(found)

    return match


def read_configs(
    folders: Sequence[RunFolder], problems: Problems, *, resolve: bool
) -> list[tuple[RunFolder, RunConfig]]:
    """Each folder's config; folders whose config is unusable are reported and left out."""
    read: list[tuple[RunFolder, RunConfig]] = []
    for folder in folders:
        try:
            read.append((folder, read_run_config(folder.path, resolve=resolve)))
        except ConfigProblemError as problem:
            problems.report(f"skipped run {folder.path!r}: {problem}")
    return read


def typed_column(values: list[Any]) -> Any:
    """A column as a pandas Series with the narrowest honest dtype.

    Ints stay ``int64`` (``Int64`` when some runs lack the key), bools ``bool`` (``boolean``),
    ints mixed with floats become ``float64``; anything else stays ``object``.
    """
    import pandas as pd

    kinds = {type(v) for v in values if v is not None}
    missing = len(kinds) != 0 and any(v is None for v in values)
    if kinds == {bool}:
        return pd.Series(values, dtype="boolean" if missing else bool)
    if kinds == {int}:
        return pd.Series(values, dtype="Int64" if missing else "int64")
    if kinds and kinds <= {int, float}:
        return pd.Series([float("nan") if v is None else v for v in values], dtype="float64")
    return pd.Series(values, dtype=object)


def build_frame(
    rows: Sequence[tuple[RunFolder, dict[str, Any], list[str], list[str]]],
) -> pd.DataFrame:
    """The DataFrame from (folder, flat config, overrides, collected paths) per run."""
    import pandas as pd

    keys: dict[str, None] = {}
    for _, flat, _, _ in rows:
        keys.update(dict.fromkeys(flat))
    data: dict[str, Any] = {}
    for key in keys:
        data[key] = typed_column([flat.get(key) for _, flat, _, _ in rows])
    extras: dict[str, Any] = {
        OVERRIDES_COLUMN: pd.Series([o for _, _, o, _ in rows], dtype=object)
    }
    most = max((len(paths) for _, _, _, paths in rows), default=0)
    for i in range(most):
        extras[PATH_COLUMN.format(i)] = pd.Series(
            [paths[i] if i < len(paths) else None for _, _, _, paths in rows], dtype=object
        )
    for name, column in extras.items():
        if name in data:
            warnings.warn(
                f"the config has a key {name!r}; hyperlab's own column is named "
                f"'hydra_{name}' instead",
                HydraLoadWarning,
                stacklevel=3,
            )
            name = f"hydra_{name}"
        data[name] = column
    index = _index([folder for folder, _, _, _ in rows])
    frame = pd.DataFrame(data)
    frame.index = index
    return frame


def _index(folders: Sequence[RunFolder]) -> pd.MultiIndex:
    import pandas as pd

    experiments = pd.DatetimeIndex(
        [pd.NaT if f.experiment is None else f.experiment for f in folders], name="experiment"
    )
    keys = [f.key for f in folders]
    if all(k.isdigit() for k in keys):
        runs: Any = pd.Index([int(k) for k in keys], dtype="int64", name="run")
    else:
        runs = pd.Index(keys, dtype=object, name="run")
    return pd.MultiIndex.from_arrays([experiments, runs], names=["experiment", "run"])


def load_hydra(
    base_path: str | os.PathLike[str],
    query_string: str | Sequence[str] = "*",
    logic: str = "auto",
    min_required_files: int = 1,
    filter_date: str | date | datetime | None = None,
    filter_hms: str | time | datetime | None = None,
    resolve: bool = False,
    strict: bool = False,
    sep: str = "/",
) -> pd.DataFrame:
    """Load Hydra output folders into a DataFrame: one row per run.

    Args:
        base_path: The folder Hydra writes to (``multirun/`` or ``outputs/``), a DATE folder, an
            experiment (``DATE/TIME``) or a single run folder.
        query_string: Glob pattern(s), relative to each run folder, of files whose paths go in
            ``collected_path_0..n`` (sorted, de-duplicated); ``**`` recurses.
        logic: ``"auto"`` detects each experiment's layout; ``"multirun"`` (``DATE/TIME/N``) or
            ``"singlerun"`` (``DATE/TIME``) keep only that layout.
        min_required_files: Runs with fewer matching files are dropped (one warning gives the
            count).
        filter_date: Keep one day: ``"YYYY-MM-DD"``, a ``date``/``datetime`` or ``"last"``.
        filter_hms: Keep one experiment time: ``"HH-MM-SS"``, a ``time``, a ``datetime`` (exact
            experiment) or ``"last"`` (the newest experiment, within ``filter_date``).
        resolve: Resolve ``${...}`` interpolations in configs with OmegaConf.
        strict: Raise instead of warning when a run or folder has to be skipped.
        sep: Joins nested config keys in column names (``optim/lr``).

    Returns:
        A DataFrame with a (``experiment``, ``run``) MultiIndex sorted by experiment time, then
        run number (numerically; runs in custom subdirs are keyed by folder name).

    Raises:
        ImportError_: when ``base_path`` is not a folder, or with ``strict`` for a bad run.
        NotFoundError: when a filter matches nothing (the message lists what is available).
        InvalidValueError: for a malformed argument.
    """
    if not isinstance(min_required_files, int) or min_required_files < 0:
        raise InvalidValueError(
            f"min_required_files must be an integer >= 0, got {min_required_files!r}"
        )
    problems = Problems(strict)
    folders = discover(
        base_path,
        logic=logic,
        filter_date=filter_date,
        filter_hms=filter_hms,
        problems=problems,
    )
    match = make_matcher(query_string)
    rows = []
    short = 0
    for folder, config in read_configs(folders, problems, resolve=resolve):
        paths = match(folder.path)
        if len(paths) < min_required_files:
            short += 1
            continue
        rows.append((folder, flatten_config(config.config, sep), config.overrides, paths))
    if short:
        warnings.warn(
            f"dropped {short} run(s) with fewer than {min_required_files} file(s) matching "
            f"{query_string!r} (pass min_required_files=0 to keep them)",
            HydraLoadWarning,
            stacklevel=2,
        )
    if not folders:
        warnings.warn(
            f"no Hydra run folders (with a .hydra/ folder) found under {os.fspath(base_path)!r}",
            HydraLoadWarning,
            stacklevel=2,
        )
    return build_frame(rows)


def load_hydra_run(
    run_path: str | os.PathLike[str],
    query_string: str | Sequence[str] = "*",
    resolve: bool = False,
    sep: str = "/",
) -> pd.DataFrame:
    """Load one Hydra run folder (the one holding ``.hydra/``) as a one-row DataFrame.

    Same columns and index as :func:`load_hydra`; a problem with the run raises instead of
    warning, and the row is kept even when no file matches ``query_string``.

    Raises:
        ImportError_: when ``run_path`` is not a Hydra run folder or its config is unusable.
    """
    from hyperlab.errors import ImportError_
    from hyperlab.importers.hydra_layout import HYDRA_DIR

    path = os.fspath(run_path)
    if not os.path.isdir(os.path.join(path, HYDRA_DIR)):
        raise ImportError_(
            f"{path!r} is not a Hydra run folder: it has no .hydra/ folder; pass the folder "
            "that holds .hydra/ (use hl.load_hydra for a whole output folder)"
        )
    return load_hydra(
        path, query_string, min_required_files=0, resolve=resolve, strict=True, sep=sep
    )
