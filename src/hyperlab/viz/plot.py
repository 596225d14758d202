"""``hl.plot``: figures from runs and studies that save to PNG (matplotlib) or HTML (plotly).

::

    import hyperlab as hl

    hl.plot.curves("lr < 0.01", "val_loss", study="mnist").save("curves.png")
    df = hl.query(study="mnist")
    hl.plot.params(df, x=["lr", "batch"], y=["val_acc"]).save("params.html")
    hl.plot.history("mnist").save("history.png")
"""

from __future__ import annotations

from hyperlab.viz.curves import curves
from hyperlab.viz.figure import Figure
from hyperlab.viz.frameplots import parallel, params, scatter
from hyperlab.viz.studyplots import history, importance, pareto

__all__ = [
    "Figure",
    "curves",
    "history",
    "importance",
    "parallel",
    "params",
    "pareto",
    "scatter",
]
