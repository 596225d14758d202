"""``hl.job_metrics``: read the metrics files jobs wrote and join them to the jobs' params.

A job reports metrics by writing, in its directory, a ``*.metrics`` file (a whitespace-separated
table: a header line, then one row per step or a single row) or a ``*.csv`` file. Jobs without
such a file, or with one that cannot be read, are kept with ``metrics_error`` saying why.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from hyperlab.execute.launchers.status import JobsArg, resolve_jobs

if TYPE_CHECKING:
    import pandas as pd

    from hyperlab.store import Store

METRIC_PATTERNS = ("*.metrics", "*.csv")


def metrics_files(job_dir: Path) -> list[Path]:
    """The metrics files in a job directory, sorted by name."""
    found: list[Path] = []
    for pattern in METRIC_PATTERNS:
        found += sorted(job_dir.glob(pattern))
    return found


def read_metrics_file(path: Path) -> pd.DataFrame:
    """One metrics file as a DataFrame (whitespace table for ``.metrics``, else CSV)."""
    import pandas as pd

    if path.suffix == ".metrics":
        return pd.read_csv(path, sep=r"\s+")
    return pd.read_csv(path)


def final_metrics(job_dir: Path) -> dict[str, float]:
    """The last row's numeric values of a job's metrics files (what its run records as final)."""
    import math

    import pandas as pd

    values: dict[str, float] = {}
    for path in metrics_files(job_dir):
        try:
            table = read_metrics_file(path)
        except (OSError, ValueError, pd.errors.ParserError):
            continue
        if table.empty:
            continue
        for key, value in table.iloc[-1].items():
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                number = _number(value)
            else:
                number = float(value)
            if number is not None and math.isfinite(number) and str(key).strip():
                values[str(key)] = number
    return values


def _number(value: Any) -> float | None:
    item = getattr(value, "item", None)
    if callable(item):
        value = item()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def job_metrics(jobs: JobsArg = None, *, store: Store | str | Path | None = None) -> pd.DataFrame:
    """Each job's metrics rows joined to its params.

    Returns:
        One row per metrics row (``step`` numbers the rows of a file), with job_name, job_id,
        state, the params, the metric columns, ``metrics_file``, and ``metrics_error`` (None,
        or why a job has no metrics: such jobs keep one row, never dropped).
    """
    import pandas as pd

    target, records = resolve_jobs(jobs, store)
    frames: list[pd.DataFrame] = []
    for record in records:
        base: dict[str, Any] = {
            "job_name": record.name,
            "job_id": record.job_id,
            "state": record.state,
            **record.params,
        }
        files = metrics_files(Path(record.work_dir))
        if not files:
            frames.append(
                pd.DataFrame([{**base, "metrics_file": None, "metrics_error": "no metrics file"}])
            )
            continue
        for path in files:
            try:
                table = read_metrics_file(path)
            except (OSError, ValueError, pd.errors.ParserError) as err:
                frames.append(
                    pd.DataFrame([{**base, "metrics_file": str(path), "metrics_error": str(err)}])
                )
                continue
            if table.empty:
                table = pd.DataFrame([{}])
                error: str | None = "metrics file has no rows"
            else:
                error = None
            table = table.reset_index(drop=True)
            if "step" not in table.columns:  # a table may carry its own step column
                table.insert(0, "step", range(len(table)))
            for key, value in reversed(list(base.items())):
                if key not in table.columns:
                    table.insert(0, key, [value] * len(table))
            table["metrics_file"] = str(path)
            table["metrics_error"] = error
            frames.append(table)
    if not frames:
        frame = pd.DataFrame(columns=["job_name", "job_id", "state", "metrics_file"])
    else:
        frame = pd.concat(frames, ignore_index=True, sort=False)
    frame.attrs["store"] = target.url
    return frame
