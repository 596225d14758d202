"""The public names of ``import hyperlab as hl``: pinned, all importable, and lazy."""

from __future__ import annotations

import subprocess
import sys

import hyperlab as hl

PUBLIC = {
    # tracking and store
    "study", "start_run", "current_run", "attach_run", "Study", "Run", "RunInterrupted",
    "RunState", "Store", "open_store",
    # query and pictures
    "query", "history", "plot",
    # spaces and search
    "ParamSpace", "Uniform", "LogUniform", "IntUniform", "Normal", "Categorical", "Fixed",
    "params_hash", "parse_space", "optimize", "TrialPruned",
    # execution
    "worker", "queue", "Queue", "sweep", "submit", "job_status", "job_output", "job_metrics",
    "wait_jobs", "cancel", "launch_workers",
    # hydra
    "load_hydra", "load_hydra_run", "import_hydra",
    # errors
    "HyperlabError",
    "__version__",
}  # fmt: skip


def test_the_public_names_are_pinned_and_resolve() -> None:
    assert set(hl.__all__) == PUBLIC
    for name in hl.__all__:
        assert getattr(hl, name) is not None, name
    assert callable(hl.query) and callable(hl.optimize) and callable(hl.submit)


def test_import_hyperlab_loads_nothing_heavy() -> None:
    code = (
        "import sys, hyperlab\n"
        "heavy = [m for m in ('pandas', 'numpy', 'sqlalchemy', 'optuna', 'plotly', 'matplotlib')"
        " if m in sys.modules]\n"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
