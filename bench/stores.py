"""Populated stores shared by the query and CLI benchmarks, cached under ``bench/out/``."""

from __future__ import annotations

import random
from pathlib import Path

from bench.common import out_dir

N_PARAMS = 20
N_METRICS = 5


def _row(rng: random.Random, k: int) -> dict[str, object]:
    params: dict[str, object] = {f"p{i}": rng.random() for i in range(N_PARAMS - 2)}
    params["lr"] = 10 ** rng.uniform(-5, -1)
    params["opt"] = rng.choice(["adam", "sgd", "rmsprop"])
    final = {f"m{j}": rng.random() for j in range(N_METRICS - 1)}
    final["val_acc"] = rng.random()
    return {"params": params, "final": final}


def hyperlab_store(n_runs: int = 100_000) -> str:
    """URL of a SQLite store holding ``n_runs`` runs x 20 params x 5 metrics (built once)."""
    import hyperlab as hl
    from hyperlab.store import forget_open_stores

    path = out_dir("stores") / f"hyperlab-{n_runs}x{N_PARAMS}x{N_METRICS}.db"
    url = f"sqlite:///{path}"
    if path.exists():
        return url
    tmp = Path(str(path) + ".tmp")
    tmp.unlink(missing_ok=True)
    rng = random.Random(0)
    study = hl.study("bench", directions={"val_acc": "max"}, store=f"sqlite:///{tmp}")
    batch = 5000
    for start in range(0, n_runs, batch):
        study.record_runs([_row(rng, k) for k in range(start, min(n_runs, start + batch))])
    study.store.dispose()
    forget_open_stores()
    tmp.rename(path)
    return url


def mlflow_store(n_runs: int = 10_000) -> str | None:
    """Tracking URI of an MLflow SQLite store with the same kind of runs (built once, slowly)."""
    try:
        import mlflow
        from mlflow.entities import Metric, Param
    except ImportError:
        return None
    path = out_dir("stores") / f"mlflow-{n_runs}.db"
    uri = f"sqlite:///{path}"
    if path.exists():
        return uri
    tmp = Path(str(path) + ".tmp")
    tmp.unlink(missing_ok=True)
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{tmp}")
    exp = client.create_experiment("bench")
    rng = random.Random(0)
    for k in range(n_runs):
        row = _row(rng, k)
        run = client.create_run(exp)
        client.log_batch(
            run.info.run_id,
            params=[Param(key, str(v)) for key, v in row["params"].items()],  # type: ignore[attr-defined]
            metrics=[Metric(key, float(v), 0, 0) for key, v in row["final"].items()],  # type: ignore[attr-defined]
        )
        client.set_terminated(run.info.run_id)
    tmp.rename(path)
    return uri
