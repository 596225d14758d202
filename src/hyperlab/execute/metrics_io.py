"""Reading metrics a tracked command reports without using hyperlab's Python API.

Three channels, all pure parsing here (the runner feeds them to ``run.log``):

* JSON lines on stdout: a line that is a JSON object whose values are all numbers (or null),
  such as ``{"step": 3, "loss": 0.12}``. ``step`` (or ``epoch``) names the step; other lines,
  including JSON objects holding text, are ordinary output.
* A JSON-lines file the program appends to, named by ``HYPERLAB_METRICS``: same line format,
  read while the command runs (only complete lines).
* ``*.metrics`` tables in the run directory, read at the end (param_search's convention): a
  header line of names, then one row per step, separated by whitespace or commas. A ``step``
  or ``epoch`` column gives the step, else rows are steps 0, 1, ...
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

STEP_KEYS = ("step", "epoch")


@dataclass
class MetricRow:
    """Values of one step (``step`` None: the next step after the last one logged)."""

    step: int | None
    values: dict[str, float]


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def parse_json_line(line: str) -> MetricRow | None:
    """A metrics row from one line of output, or None when the line is not one.

    Example:
        >>> parse_json_line('{"step": 3, "loss": 0.12}')
        MetricRow(step=3, values={'loss': 0.12})
    """
    text = line.strip()
    if not (text.startswith("{") and text.endswith("}")):
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    step: int | None = None
    values: dict[str, float] = {}
    for key, value in data.items():
        if value is None:
            continue
        number = _number(value)
        if number is None:
            return None  # text inside: a structured log line, not metrics
        if key in STEP_KEYS and step is None and number.is_integer():
            step = int(number)
            continue
        values[str(key)] = number
    if not values:
        return None
    return MetricRow(step, values)


class JsonLinesTail:
    """Reads complete new lines appended to a file since the last call."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0
        self._partial = b""

    def read_new(self, *, final: bool = False) -> list[MetricRow]:
        """Metric rows from lines appended since the last call.

        Args:
            final: Also parse a last line without a newline (the program has exited).
        """
        try:
            with self.path.open("rb") as handle:
                handle.seek(self._offset)
                chunk = handle.read()
        except FileNotFoundError:
            return []
        self._offset += len(chunk)
        data = self._partial + chunk
        lines = data.split(b"\n")
        self._partial = lines.pop()
        if final and self._partial:
            lines.append(self._partial)
            self._partial = b""
        rows = []
        for raw in lines:
            row = parse_json_line(raw.decode("utf-8", errors="replace"))
            if row is not None:
                rows.append(row)
        return rows


_SPLIT_WS = re.compile(r"\s+")


def _cells(line: str, comma: bool) -> list[str]:
    if comma:
        return [c.strip() for c in line.split(",")]
    return _SPLIT_WS.split(line.strip())


def _cell_number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value


def parse_metrics_table(text: str) -> list[MetricRow]:
    """Rows of a ``.metrics`` table (whitespace- or comma-separated, header first).

    Non-numeric cells are skipped; a ``step`` or ``epoch`` column gives each row's step,
    otherwise rows are numbered from 0.

    Example:
        >>> parse_metrics_table("loss acc\\n0.5 0.8\\n0.4 0.9\\n")[1]
        MetricRow(step=1, values={'loss': 0.4, 'acc': 0.9})
    """
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if not lines:
        return []
    comma = "," in lines[0]
    header = _cells(lines[0], comma)
    step_col = next((i for i, name in enumerate(header) if name in STEP_KEYS), None)
    rows = []
    for index, line in enumerate(lines[1:]):
        cells = _cells(line, comma)
        step = index
        values: dict[str, float] = {}
        for i, (name, cell) in enumerate(zip(header, cells, strict=False)):
            number = _cell_number(cell)
            if number is None:
                continue
            if i == step_col:
                if math.isfinite(number) and number.is_integer():
                    step = int(number)
                continue
            values[name] = number
        if values:
            rows.append(MetricRow(step, values))
    return rows


def read_metrics_tables(run_dir: Path) -> list[MetricRow]:
    """Rows of every ``*.metrics`` file in a run directory, files in name order."""
    rows: list[MetricRow] = []
    for path in sorted(run_dir.glob("*.metrics")):
        if path.is_file():
            rows.extend(parse_metrics_table(path.read_text(encoding="utf-8", errors="replace")))
    return rows
