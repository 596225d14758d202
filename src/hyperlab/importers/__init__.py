"""Importers of experiments recorded elsewhere: Hydra output folders.

* :func:`load_hydra` / :func:`load_hydra_run`: Hydra output folders as a pandas DataFrame.
* :func:`import_hydra` / :func:`watch_hydra`: Hydra runs into a hyperlab study (idempotent).
"""

from __future__ import annotations

from hyperlab.importers.hydra_frame import load_hydra, load_hydra_run
from hyperlab.importers.hydra_import import ImportReport, import_hydra, watch_hydra
from hyperlab.importers.hydra_layout import HydraLoadWarning

__all__ = [
    "HydraLoadWarning",
    "ImportReport",
    "import_hydra",
    "load_hydra",
    "load_hydra_run",
    "watch_hydra",
]
