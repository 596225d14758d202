"""Search: samplers warm-started by every past run of a study, ``optimize``, ask/tell, pruning.

::

    import hyperlab as hl

    study = hl.study("mlp", directions={"val_loss": "min"})
    space = hl.ParamSpace(lr=hl.LogUniform(1e-5, 1e-1), layers=[1, 2, 3])
    hl.optimize(lambda p: train(**p), study=study, space=space, n_trials=50, sampler="tpe")
    study.best_params()
"""

from __future__ import annotations

from hyperlab.search.asktell import ask, tell
from hyperlab.search.defaults import list_defaults, set_default
from hyperlab.search.optimize import TrialResult, optimize
from hyperlab.search.results import (
    best_params,
    best_run,
    config_summary,
    pareto_front,
    trials_frame,
)
from hyperlab.search.session import SearchSession
from hyperlab.search.target import PRUNERS, SAMPLERS

__all__ = [
    "PRUNERS",
    "SAMPLERS",
    "SearchSession",
    "TrialResult",
    "ask",
    "best_params",
    "best_run",
    "config_summary",
    "list_defaults",
    "optimize",
    "pareto_front",
    "set_default",
    "tell",
    "trials_frame",
]
