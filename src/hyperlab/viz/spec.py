"""A renderer-neutral description of a figure: panels of traces, or parallel coordinates.

The data-prep modules build a :class:`FigureSpec`; :mod:`hyperlab.viz.mpl` draws it with
matplotlib (PNG, SVG, PDF) and :mod:`hyperlab.viz.plotly_fig` with plotly (interactive HTML, the
dashboard). Keeping the spec plain makes the prepared data easy to test without rendering.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
"""Colours by index, shared by both renderers so a run keeps its colour in PNG and HTML."""


def color(index: int | None) -> str | None:
    """The palette colour for an index (cycling), None for the renderer's default."""
    return None if index is None else PALETTE[index % len(PALETTE)]


@dataclass
class Trace:
    """One drawn series.

    Attributes:
        name: Legend text.
        x: X values (numbers, or strings for a categorical axis).
        y: Y values.
        mode: ``lines``, ``markers``, ``lines+markers`` or ``bar`` (horizontal bars: ``x`` holds
            the lengths and ``y`` the labels).
        role: What the trace shows (``curve``, ``best``, ``fork``, ``points``, ``front``,
            ``running_best``, ``bar``); tests and the dashboard select traces by role.
        color: Palette index (None: the renderer picks).
        symbol: Marker symbol (``circle``, ``star``, ``diamond``, ``x``).
        size: Marker size in points.
        show_legend: Whether the trace gets a legend entry.
        hover: Per-point hover text.
        run_id: The run the trace belongs to, if any.
    """

    name: str
    x: list[Any]
    y: list[Any]
    mode: str = "lines"
    role: str = "curve"
    color: int | None = None
    symbol: str = "circle"
    size: float = 6.0
    show_legend: bool = True
    hover: list[str] | None = None
    run_id: int | None = None


@dataclass
class Panel:
    """One subplot at (row, col), both zero-based."""

    row: int
    col: int
    xlabel: str = ""
    ylabel: str = ""
    traces: list[Trace] = field(default_factory=list)
    xlog: bool = False


@dataclass
class Dimension:
    """One axis of a parallel-coordinates plot; categorical values are coded 0..n-1."""

    label: str
    values: list[float]
    ticktext: list[str] | None = None


@dataclass
class ParallelSpec:
    """Parallel coordinates: one line per row through every dimension, coloured by a value."""

    dimensions: list[Dimension]
    color_values: list[float] | None = None
    color_label: str = ""


@dataclass
class FigureSpec:
    """What to draw: a grid of panels (``rows`` x ``cols``) or parallel coordinates."""

    title: str = ""
    rows: int = 1
    cols: int = 1
    panels: list[Panel] = field(default_factory=list)
    parallel: ParallelSpec | None = None

    def panel(self, row: int, col: int) -> Panel:
        """The panel at (row, col)."""
        for item in self.panels:
            if item.row == row and item.col == col:
                return item
        raise KeyError((row, col))

    def traces(self, role: str | None = None) -> list[Trace]:
        """All traces of all panels, optionally only those with ``role``."""
        return [t for p in self.panels for t in p.traces if role is None or t.role == role]
