"""Logging: caller cost of ``run.log``, sustained ingestion, and run creation, against peers.

Targets (issue 2): ``run.log`` <= 2 µs per call for the caller; >= 500,000 points/s sustained
into SQLite; >= 1,000x MLflow ``log_metric`` and >= 50x Aim ``track`` per point; a run with 20
params and 5 final metrics in <= 1 ms (MLflow ~19 ms, optuna ask/tell ~59 ms on this machine kind).
"""

from __future__ import annotations

import shutil
import time
import warnings

from bench.common import Report, fmt_time, has, out_dir

N_CALLS = 200_000
N_SUSTAINED = 2_000_000


def _fresh(name: str) -> str:
    path = out_dir(name)
    shutil.rmtree(path)
    path.mkdir()
    return f"sqlite:///{path / 'hyperlab.db'}"


def hyperlab_log() -> tuple[float, float]:
    """(caller seconds per call, sustained points per second)."""
    import hyperlab as hl

    study = hl.study("bench-log", store=_fresh("log"))
    with study.start_run(params={"lr": 0.1}) as run:
        start = time.perf_counter()
        for i in range(N_CALLS):
            run.log(step=i, loss=0.5)
        per_call = (time.perf_counter() - start) / N_CALLS
        run.flush()
    with study.start_run(params={"lr": 0.2}) as run:
        start = time.perf_counter()
        for i in range(N_SUSTAINED):
            run.log(step=i, loss=0.5)
        run.flush()
        sustained = N_SUSTAINED / (time.perf_counter() - start)
    return per_call, sustained


def hyperlab_runs(n: int = 1000) -> float:
    """Seconds per run with 20 params and 5 final metrics, through the normal run path."""
    import hyperlab as hl

    study = hl.study("bench-runs", store=_fresh("runs"))
    params = {f"p{i}": i * 0.1 for i in range(20)}
    start = time.perf_counter()
    for k in range(n):
        with study.start_run(params={**params, "k": k}) as run:
            run.set_summary(**{f"m{j}": j * 0.5 for j in range(5)})
    return (time.perf_counter() - start) / n


def mlflow_log(n: int = 300) -> tuple[float, float] | None:
    """(seconds per log_metric call, seconds per run with 20 params + 5 metrics)."""
    if not has("mlflow"):
        return None
    import mlflow

    path = out_dir("mlflow-log")
    shutil.rmtree(path)
    path.mkdir()
    mlflow.set_tracking_uri(f"sqlite:///{path / 'mlflow.db'}")
    mlflow.set_experiment("bench")
    with mlflow.start_run():
        start = time.perf_counter()
        for i in range(n):
            mlflow.log_metric("loss", 0.5, step=i)
        per_call = (time.perf_counter() - start) / n
    runs = 30
    start = time.perf_counter()
    for k in range(runs):
        with mlflow.start_run():
            mlflow.log_params({**{f"p{i}": i * 0.1 for i in range(20)}, "k": k})
            mlflow.log_metrics({f"m{j}": j * 0.5 for j in range(5)})
    return per_call, (time.perf_counter() - start) / runs


def aim_track(n: int = 5000) -> float | None:
    """Seconds per Aim ``Run.track`` call."""
    if not has("aim"):
        return None
    import aim

    path = out_dir("aim")
    shutil.rmtree(path)
    path.mkdir()
    run = aim.Run(repo=str(path), experiment="bench")
    start = time.perf_counter()
    for i in range(n):
        run.track(0.5, name="loss", step=i)
    per_call = (time.perf_counter() - start) / n
    run.close()
    return per_call


def optuna_trials(n: int = 30) -> float | None:
    """Seconds per optuna ask/tell trial with 20 params on SQLite."""
    if not has("optuna"):
        return None
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    path = out_dir("optuna-runs")
    shutil.rmtree(path)
    path.mkdir()
    study = optuna.create_study(storage=f"sqlite:///{path / 'optuna.db'}")
    start = time.perf_counter()
    for _ in range(n):
        trial = study.ask()
        for i in range(20):
            trial.suggest_float(f"p{i}", 0, 1)
        study.tell(trial, 0.5)
    return (time.perf_counter() - start) / n


def main() -> Report:
    warnings.filterwarnings("ignore")
    report = Report("Logging and run creation (SQLite)")
    per_call, sustained = hyperlab_log()
    per_run = hyperlab_runs()
    ml = mlflow_log()
    aim_call = aim_track()
    opt = optuna_trials()
    report.add("`run.log(step=i, loss=x)` caller cost", fmt_time(per_call), target="<= 2 µs",
               met=per_call <= 2e-6)  # fmt: skip
    per_point = 1 / sustained
    report.add("sustained ingestion", f"{sustained:,.0f} points/s", target=">= 500,000 points/s",
               met=sustained >= 500_000)  # fmt: skip
    if ml:
        ratio = ml[0] / per_point
        report.add("per point vs MLflow `log_metric`", fmt_time(per_point), fmt_time(ml[0]),
                   f"{ratio:,.0f}x", ">= 1,000x", ratio >= 1000)  # fmt: skip
    else:
        report.notes.append("MLflow not installed: no MLflow figures.")
    if aim_call:
        ratio = aim_call / per_point
        report.add("per point vs Aim `track`", fmt_time(per_point), fmt_time(aim_call),
                   f"{ratio:,.0f}x", ">= 50x", ratio >= 50)  # fmt: skip
    else:
        report.notes.append("Aim not installed: no Aim figures.")
    peer = fmt_time(ml[1]) + " (MLflow)" if ml else ""
    ratio = f"{ml[1] / per_run:,.0f}x" if ml else ""
    report.add("run with 20 params + 5 final metrics", fmt_time(per_run), peer, ratio,
               "<= 1 ms", per_run <= 1e-3)  # fmt: skip
    if opt:
        report.add("run vs optuna ask/tell, 20 params", fmt_time(per_run), fmt_time(opt),
                   f"{opt / per_run:,.0f}x")  # fmt: skip
    return report


if __name__ == "__main__":
    print(main().markdown())
