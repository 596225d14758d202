"""Draw a :class:`~hyperlab.viz.spec.FigureSpec` with matplotlib (PNG, SVG, PDF).

Uses ``matplotlib.figure.Figure`` with the Agg canvas directly, so no pyplot state or GUI
backend is involved (safe in servers, threads and tests).
"""

from __future__ import annotations

import math
from typing import Any

from hyperlab.viz.spec import FigureSpec, Panel, ParallelSpec, Trace, color

MARKERS = {"circle": "o", "star": "*", "diamond": "D", "x": "x"}
PANEL_INCHES = (5.0, 3.6)


def render(spec: FigureSpec) -> Any:
    """A matplotlib Figure for the spec."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if spec.parallel is not None:
        fig = Figure(figsize=(max(6.0, 1.6 * len(spec.parallel.dimensions)), 4.2))
        FigureCanvasAgg(fig)
        _parallel(fig, spec.parallel)
    else:
        width, height = PANEL_INCHES
        fig = Figure(figsize=(width * spec.cols, height * spec.rows))
        FigureCanvasAgg(fig)
        axes = fig.subplots(spec.rows, spec.cols, squeeze=False)
        for panel in spec.panels:
            _panel(axes[panel.row][panel.col], panel)
        for panel in spec.panels:
            ax = axes[panel.row][panel.col]
            handles, labels = ax.get_legend_handles_labels()
            if handles:
                ax.legend(handles, labels, fontsize="small")
    if spec.title:
        fig.suptitle(spec.title)
    fig.tight_layout()
    return fig


def _panel(ax: Any, panel: Panel) -> None:
    for trace in panel.traces:
        _trace(ax, trace)
    ax.set_xlabel(panel.xlabel)
    ax.set_ylabel(panel.ylabel)
    if panel.xlog:
        ax.set_xscale("log")
    ax.grid(True, alpha=0.3)


def _trace(ax: Any, trace: Trace) -> None:
    label = trace.name if trace.show_legend else "_nolegend_"
    kwargs: dict[str, Any] = {"label": label}
    c = color(trace.color)
    if c is not None:
        kwargs["color"] = c
    x = [str(v) for v in trace.x] if any(isinstance(v, str) for v in trace.x) else trace.x
    y = [math.nan if v is None else v for v in trace.y]
    if trace.mode == "bar":
        ax.barh(trace.y, trace.x, **kwargs)
        return
    if trace.mode == "markers":
        ax.scatter(
            x, y, marker=MARKERS.get(trace.symbol, "o"), s=trace.size**2, zorder=3, **kwargs
        )
        return
    marker = MARKERS.get(trace.symbol, "o") if "markers" in trace.mode else None
    ax.plot(x, y, marker=marker, markersize=trace.size * 0.7, linewidth=1.4, **kwargs)


def _parallel(fig: Any, spec: ParallelSpec) -> None:
    from matplotlib import colormaps

    ax = fig.add_subplot(1, 1, 1)
    n_dims = len(spec.dimensions)
    scaled = []
    for dim in spec.dimensions:
        finite = [v for v in dim.values if math.isfinite(v)]
        lo, hi = (min(finite), max(finite)) if finite else (0.0, 1.0)
        span = (hi - lo) or 1.0
        scaled.append([(v - lo) / span if math.isfinite(v) else math.nan for v in dim.values])
    cmap = colormaps["viridis"]
    colors = spec.color_values
    finite_c = [v for v in colors or [] if math.isfinite(v)]
    lo_c, hi_c = (min(finite_c), max(finite_c)) if finite_c else (0.0, 1.0)
    rows = len(spec.dimensions[0].values) if spec.dimensions else 0
    for row in range(rows):
        ys = [scaled[d][row] for d in range(n_dims)]
        value = colors[row] if colors else math.nan
        shade = (value - lo_c) / ((hi_c - lo_c) or 1.0) if math.isfinite(value) else 0.5
        ax.plot(range(n_dims), ys, color=cmap(shade), alpha=0.7, linewidth=1.0)
    ax.set_xticks(range(n_dims))
    ax.set_xticklabels([d.label for d in spec.dimensions])
    ax.set_yticks([])
    for i, dim in enumerate(spec.dimensions):
        ax.axvline(i, color="black", linewidth=0.8)
        finite = [v for v in dim.values if math.isfinite(v)]
        if dim.ticktext:
            for code, text in enumerate(dim.ticktext):
                pos = code / ((len(dim.ticktext) - 1) or 1)
                ax.annotate(
                    text, (i, pos), fontsize="x-small", xytext=(3, 0), textcoords="offset points"
                )
        elif finite:
            ax.annotate(
                f"{min(finite):.3g}",
                (i, 0),
                fontsize="x-small",
                xytext=(3, -10),
                textcoords="offset points",
            )
            ax.annotate(
                f"{max(finite):.3g}",
                (i, 1),
                fontsize="x-small",
                xytext=(3, 4),
                textcoords="offset points",
            )
    if spec.color_label:
        ax.set_title(f"colour: {spec.color_label}", fontsize="small")
