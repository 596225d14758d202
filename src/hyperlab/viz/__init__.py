"""Plots: pure data prep (curves, param grids, study summaries) and two lazy renderers.

``hl.plot`` is :mod:`hyperlab.viz.plot`. matplotlib and plotly are imported only when a figure is
rendered.
"""

from __future__ import annotations

from hyperlab.viz import plot

__all__ = ["plot"]
