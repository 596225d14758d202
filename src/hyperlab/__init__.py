"""hyperlab: remember every experiment you run, and use that memory to run the next ones.

::

    import hyperlab as hl

    study = hl.study("mnist-mlp", directions={"val_acc": "max"})
    with study.start_run(params={"lr": 0.01}) as run:
        for epoch in range(10):
            run.log(val_acc=...)
    hl.query("lr < 0.1", study="mnist-mlp", sort="-val_acc")

Public names are imported lazily (PEP 562) so that ``import hyperlab`` and the CLI start fast:
nothing here loads pandas, SQLAlchemy or optuna until it is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# name -> module that defines it
_LAZY: dict[str, str] = {
    # store
    "open_store": "hyperlab.store",
    "Store": "hyperlab.store",
    "RunState": "hyperlab.store",
    # tracking
    "study": "hyperlab.tracking.study",
    "start_run": "hyperlab.tracking.study",
    "current_run": "hyperlab.tracking.study",
    "Study": "hyperlab.tracking.study",
    "Run": "hyperlab.tracking.run",
    "RunInterrupted": "hyperlab.tracking.run",
    # query
    "query": "hyperlab.querying.frames",
    "history": "hyperlab.querying.frames",
    # space
    "ParamSpace": "hyperlab.space",
    "Uniform": "hyperlab.space",
    "LogUniform": "hyperlab.space",
    "IntUniform": "hyperlab.space",
    "Normal": "hyperlab.space",
    "Categorical": "hyperlab.space",
    "Fixed": "hyperlab.space",
    "params_hash": "hyperlab.space",
    "parse_space": "hyperlab.space",
    # importers
    "load_hydra": "hyperlab.importers",
    "load_hydra_run": "hyperlab.importers",
    "import_hydra": "hyperlab.importers",
    # plots
    "plot": "hyperlab.viz",
    # execute: tracked commands, queue, workers
    "worker": "hyperlab.execute.worker",
    "queue": "hyperlab.execute.queueing",
    "Queue": "hyperlab.execute.queueing",
    "sweep": "hyperlab.execute.sweep",
    "attach_run": "hyperlab.tracking.study",
    # execute: job templates and launchers
    "submit": "hyperlab.execute.launchers",
    "job_status": "hyperlab.execute.launchers",
    "job_output": "hyperlab.execute.launchers",
    "job_metrics": "hyperlab.execute.launchers",
    "cancel": "hyperlab.execute.launchers",
    "wait_jobs": "hyperlab.execute.launchers",
    "launch_workers": "hyperlab.execute.launchers",
    # search
    "optimize": "hyperlab.search",
    "TrialPruned": "hyperlab.errors",
    # errors
    "HyperlabError": "hyperlab.errors",
}

__all__ = sorted([*_LAZY, "__version__"])


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hyperlab' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:
    from hyperlab.errors import HyperlabError, TrialPruned
    from hyperlab.execute.launchers import (  # type: ignore[no-redef]  # submit: also a module
        cancel,
        job_metrics,
        job_output,
        job_status,
        launch_workers,
        submit,
        wait_jobs,
    )
    from hyperlab.execute.queueing import Queue, queue
    from hyperlab.execute.sweep import sweep
    from hyperlab.execute.worker import worker
    from hyperlab.importers import import_hydra, load_hydra, load_hydra_run
    from hyperlab.querying.frames import history, query
    from hyperlab.search import optimize  # type: ignore[no-redef]  # also a module name
    from hyperlab.space import (
        Categorical,
        Fixed,
        IntUniform,
        LogUniform,
        Normal,
        ParamSpace,
        Uniform,
        params_hash,
        parse_space,
    )
    from hyperlab.store import RunState, Store, open_store
    from hyperlab.tracking.run import Run, RunInterrupted
    from hyperlab.tracking.study import Study, attach_run, current_run, start_run, study
    from hyperlab.viz import plot
