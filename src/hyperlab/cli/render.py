"""Rendering tables for the terminal (rich), JSON and CSV, with human-friendly values."""

from __future__ import annotations

import csv
import io
import json
import math
import time
from collections.abc import Sequence
from typing import Any

STATE_STYLES = {
    "completed": "green",
    "running": "cyan",
    "queued": "blue",
    "failed": "red",
    "interrupted": "yellow",
    "pruned": "magenta",
    "lost": "bright_black",
}
TIME_COLUMNS = frozenset({"created", "started", "ended", "last_activity"})


def human(value: Any, column: str = "") -> str:
    """A short text form of a value for a table cell."""
    if value is None:
        return ""
    if column in TIME_COLUMNS and isinstance(value, (int, float)):
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(value))
    if column == "duration" and isinstance(value, (int, float)):
        return human_duration(float(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return f"{value:.4g}"
    if isinstance(value, (list, dict)):
        if column == "tags" and isinstance(value, list):
            return ", ".join(map(str, value))
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def human_duration(seconds: float) -> str:
    """``42s``, ``3m05s``, ``2h03m``."""
    if seconds < 60:
        return f"{seconds:.0f}s" if seconds >= 10 else f"{seconds:.1f}s"
    minutes, sec = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{sec:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def jsonable(value: Any) -> Any:
    """A value for JSON output (NaN and inf become null: strict JSON has no such numbers)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def render(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    fmt: str,
    *,
    title: str | None = None,
    styles: dict[str, str] | None = None,
) -> str | None:
    """Render rows as JSON or CSV text; for ``table`` print with rich and return None."""
    if fmt == "json":
        records = [{h: jsonable(v) for h, v in zip(headers, row, strict=True)} for row in rows]
        return json.dumps(records, ensure_ascii=False, indent=2, default=str)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(headers)
        for row in rows:
            writer.writerow(["" if v is None else h_csv(v) for v in row])
        return out.getvalue()
    from rich.table import Table
    from rich.text import Text

    from hyperlab.cli.context import console

    table = Table(title=title, header_style="bold", show_lines=False, pad_edge=False)
    for header in headers:
        numeric = any(isinstance(r[headers.index(header)], (int, float)) for r in rows[:50])
        table.add_column(header, justify="right" if numeric else "left", overflow="fold")
    for row in rows:
        cells = []
        for header, value in zip(headers, row, strict=True):
            # Text() never interprets markup, so "[red]" in a tag or name is shown as typed.
            text = Text(human(value, header))
            if header == "state" and isinstance(value, str):
                text.stylize(STATE_STYLES.get(value, ""))
            elif styles and header in styles:
                text.stylize(styles[header])
            cells.append(text)
        table.add_row(*cells)
    console().print(table)
    return None


def h_csv(value: Any) -> Any:
    """A CSV cell: lists and dicts as JSON."""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return value
