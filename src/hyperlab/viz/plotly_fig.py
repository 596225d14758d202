"""Draw a :class:`~hyperlab.viz.spec.FigureSpec` with plotly (interactive HTML, the dashboard)."""

from __future__ import annotations

import math
from typing import Any

from hyperlab.viz.spec import FigureSpec, ParallelSpec, Trace, color

SYMBOLS = {"circle": "circle", "star": "star", "diamond": "diamond", "x": "x"}


def render(spec: FigureSpec) -> Any:
    """A ``plotly.graph_objects.Figure`` for the spec."""
    import plotly.graph_objects as go

    if spec.parallel is not None:
        fig = go.Figure(_parallel(spec.parallel))
    else:
        from plotly.subplots import make_subplots

        grid = spec.rows * spec.cols > 1
        fig = make_subplots(rows=spec.rows, cols=spec.cols) if grid else go.Figure()
        for panel in spec.panels:
            where = {"row": panel.row + 1, "col": panel.col + 1} if grid else {}
            for trace in panel.traces:
                fig.add_trace(_trace(trace), **where)
            fig.update_xaxes(title_text=panel.xlabel, type="log" if panel.xlog else None, **where)
            fig.update_yaxes(title_text=panel.ylabel, **where)
    fig.update_layout(
        title_text=spec.title,
        template="plotly_white",
        height=max(420, 320 * spec.rows),
        legend={"font": {"size": 11}},
    )
    return fig


def _clean(values: list[Any]) -> list[Any]:
    return [None if isinstance(v, float) and not math.isfinite(v) else v for v in values]


def _trace(trace: Trace) -> Any:
    import plotly.graph_objects as go

    c = color(trace.color)
    meta = {"role": trace.role, "run_id": trace.run_id}
    if trace.mode == "bar":
        return go.Bar(
            x=_clean(trace.x),
            y=trace.y,
            orientation="h",
            name=trace.name,
            marker={"color": c},
            meta=meta,
        )
    return go.Scatter(
        x=_clean(trace.x),
        y=_clean(trace.y),
        mode=trace.mode,
        name=trace.name,
        showlegend=trace.show_legend,
        line={"color": c, "width": 1.6},
        marker={"color": c, "symbol": SYMBOLS.get(trace.symbol, "circle"), "size": trace.size},
        text=trace.hover,
        hoverinfo="text+x+y" if trace.hover else None,
        meta=meta,
    )


def _parallel(spec: ParallelSpec) -> Any:
    import plotly.graph_objects as go

    dims = []
    for dim in spec.dimensions:
        entry: dict[str, Any] = {"label": dim.label, "values": _clean(list(dim.values))}
        if dim.ticktext:
            entry["tickvals"] = list(range(len(dim.ticktext)))
            entry["ticktext"] = dim.ticktext
        dims.append(entry)
    line: dict[str, Any] = {}
    if spec.color_values:
        line = {
            "color": _clean(list(spec.color_values)),
            "colorscale": "Viridis",
            "showscale": True,
            "colorbar": {"title": {"text": spec.color_label}},
        }
    return go.Parcoords(dimensions=dims, line=line)
