"""Reading metric files a run left in its folder: final values and curves.

Formats, chosen by content and extension:

* JSON holding a dict: final values (nested dicts flattened with dots; non-numbers ignored).
* JSON lines (``.jsonl``, ``.ndjson``, or a ``.json`` with one object per line) and a JSON list
  of dicts: one point per record; the step is the ``step``/``epoch``/``iteration`` field, else
  the record's position.
* A table (``.csv``, ``.tsv``, ``.txt``, ``.dat``, ...) with a header row, split on commas,
  tabs or whitespace: a curve per numeric column, steps from the step column as above.
* ``.npy``: a 1-D array is a curve named after the file; a 0-D array a final value; an
  ``(n, 2)`` array is (step, value) pairs. ``.npz``: each array the same way, by its name.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hyperlab.errors import ImportError_

STEP_NAMES = ("step", "global_step", "epoch", "iteration", "iter", "it")
_JSON_LINES = (".jsonl", ".ndjson")


@dataclass
class RunMetrics:
    """Metrics read from one run's files."""

    final: dict[str, float] = field(default_factory=dict)
    curves: dict[str, list[tuple[int, float]]] = field(default_factory=dict)

    def merge(self, other: RunMetrics) -> None:
        """Add ``other``'s values (later files win on a clash)."""
        self.final.update(other.final)
        self.curves.update(other.curves)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    item = getattr(value, "item", None)  # numpy scalar
    if callable(item):
        return _number(item())
    return None


def _flat_numbers(data: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in data.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            out.update(_flat_numbers(value, name))
        else:
            number = _number(value)
            if number is not None:
                out[name] = number
    return out


def _step_key(names: Iterable[str]) -> str | None:
    lowered = {n.lower(): n for n in names}
    for candidate in STEP_NAMES:
        if candidate in lowered:
            return lowered[candidate]
    return None


def _records_to_curves(records: Sequence[Mapping[str, Any]]) -> RunMetrics:
    result = RunMetrics()
    names: dict[str, None] = {}
    for record in records:
        names.update(dict.fromkeys(record))
    step_key = _step_key(names)
    for position, record in enumerate(records):
        step_value = _number(record.get(step_key)) if step_key else None
        step = int(step_value) if step_value is not None and math.isfinite(step_value) else None
        step = position if step is None else step
        for key, value in _flat_numbers(record).items():
            if key != step_key:
                result.curves.setdefault(key, []).append((step, value))
    return result


def _read_json(path: str, text: str) -> RunMetrics:
    stripped = text.strip()
    if not stripped:
        return RunMetrics()
    if not path.endswith(_JSON_LINES):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError:
            data = None
        else:
            if isinstance(data, Mapping):
                return RunMetrics(final=_flat_numbers(data))
            if isinstance(data, list) and all(isinstance(r, Mapping) for r in data):
                return _records_to_curves(data)
            raise ImportError_(
                f"metric file {path!r} holds JSON {type(data).__name__}; expected an object "
                "of final values, a list of objects or one object per line"
            )
    records = []
    for number, line in enumerate(stripped.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ImportError_(
                f"metric file {path!r} line {number} is not JSON ({exc.msg}): {line[:80]!r}"
            ) from None
        if isinstance(record, Mapping):
            records.append(record)
    return _records_to_curves(records)


def _split(line: str, delimiter: str | None) -> list[str]:
    return [cell.strip() for cell in (line.split(delimiter) if delimiter else line.split())]


def _read_table(path: str, text: str) -> RunMetrics:
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if not lines:
        return RunMetrics()
    header = lines[0]
    delimiter: str | None
    if path.endswith(".tsv") or "\t" in header:
        delimiter = "\t"
    elif path.endswith(".csv") or "," in header:
        delimiter = ","
    else:
        delimiter = None
    names = _split(header, delimiter)
    records = []
    for line in lines[1:]:
        cells = _split(line, delimiter)
        records.append(
            {
                name: cell
                for name, cell in zip(names, cells, strict=False)
                if _number(cell) is not None
            }
        )
    if not records:
        raise ImportError_(
            f"metric table {path!r} has a header but no rows; expected a header line with "
            "column names (one of them 'step' or 'epoch') and rows of numbers"
        )
    return _records_to_curves(records)


def _array_metrics(name: str, array: Any) -> RunMetrics:
    result = RunMetrics()
    if array.ndim == 0:
        number = _number(array.item())
        if number is not None:
            result.final[name] = number
    elif array.ndim == 1:
        result.curves[name] = [(i, float(v)) for i, v in enumerate(array.tolist())]
    elif array.ndim == 2 and array.shape[1] == 2:
        result.curves[name] = [(int(s), float(v)) for s, v in array.tolist()]
    else:
        raise ImportError_(
            f"array {name!r} has shape {tuple(array.shape)}; expected a scalar, a 1-D curve "
            "or (n, 2) (step, value) pairs"
        )
    return result


def _read_numpy(path: str) -> RunMetrics:
    import numpy as np

    stem = os.path.splitext(os.path.basename(path))[0]
    try:
        loaded = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise ImportError_(f"cannot read numpy file {path!r}: {exc}") from None
    if path.endswith(".npz"):
        result = RunMetrics()
        with loaded as archive:
            for key in archive.files:
                result.merge(_array_metrics(key, archive[key]))
        return result
    return _array_metrics(stem, loaded)


def read_metrics(path: str) -> RunMetrics:
    """Final values and curves from one metric file (format by extension and content).

    Raises:
        ImportError_: when the file cannot be read or its content is not a known format.
    """
    if path.endswith((".npy", ".npz")):
        return _read_numpy(path)
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportError_(f"cannot read metric file {path!r}: {exc}") from None
    if path.endswith((".json", *_JSON_LINES)) or text.lstrip().startswith(("{", "[")):
        return _read_json(path, text)
    return _read_table(path, text)


def read_run_metrics(paths: Iterable[str]) -> RunMetrics:
    """Metrics from several files of one run, merged in order."""
    result = RunMetrics()
    for path in paths:
        result.merge(read_metrics(path))
    return result
