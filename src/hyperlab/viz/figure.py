"""The figure object every ``hl.plot`` function returns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hyperlab.errors import InvalidValueError
from hyperlab.viz.spec import FigureSpec

PNG_SUFFIXES = frozenset({".png", ".svg", ".pdf", ".jpg", ".jpeg"})
HTML_SUFFIXES = frozenset({".html", ".htm"})


class Figure:
    """A prepared plot: save it as PNG (matplotlib) or interactive HTML (plotly).

    In Jupyter it renders inline (interactive, through plotly). ``spec`` holds the prepared
    data (panels of traces) for inspection.

    Attributes:
        spec: The renderer-neutral description of the plot.
    """

    def __init__(self, spec: FigureSpec) -> None:
        self.spec = spec

    def __repr__(self) -> str:
        n = len(self.spec.traces())
        kind = "parallel coordinates" if self.spec.parallel else f"{n} traces"
        return f"<hyperlab Figure {self.spec.title!r}: {kind}>"

    def save(self, path: str | Path, *, dpi: int = 120) -> Path:
        """Write the figure; the file extension picks the format.

        Args:
            path: ``.png``, ``.svg``, ``.pdf``, ``.jpg`` (matplotlib) or ``.html`` (plotly,
                self-contained: works offline).
            dpi: Resolution of raster images.

        Returns:
            The path written.
        """
        target = Path(path)
        suffix = target.suffix.lower()
        if suffix in HTML_SUFFIXES:
            self.to_plotly().write_html(str(target), include_plotlyjs=True, full_html=True)
        elif suffix in PNG_SUFFIXES:
            self.to_matplotlib().savefig(str(target), dpi=dpi, bbox_inches="tight")
        else:
            valid = ", ".join(sorted(PNG_SUFFIXES | HTML_SUFFIXES))
            raise InvalidValueError(
                f"cannot tell the image format of {str(target)!r}; use one of: {valid}"
            )
        return target

    def to_plotly(self) -> Any:
        """The figure as a ``plotly.graph_objects.Figure``."""
        from hyperlab.viz.plotly_fig import render

        return render(self.spec)

    def to_matplotlib(self) -> Any:
        """The figure as a ``matplotlib.figure.Figure`` (no pyplot state is touched)."""
        from hyperlab.viz.mpl import render

        return render(self.spec)

    def to_json(self) -> str:
        """The plotly figure as JSON (what the dashboard draws with plotly.js)."""
        return str(self.to_plotly().to_json())

    def _repr_html_(self) -> str:
        return str(self.to_plotly().to_html(full_html=False, include_plotlyjs=True))
