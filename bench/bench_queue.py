"""Queue throughput: no-op function runs drained by 1, 4 and 8 workers; optuna side by side.

Targets (issue 4, section 5):
- per-run overhead (enqueue to completed) <= 5 ms with one worker on SQLite;
- 4 hyperlab workers on SQLite >= 5x optuna ask/tell (random sampler, 4 processes, one SQLite
  file) and at least optuna's journal-file storage; p99 claim latency <= 50 ms; zero errors.

Workers are separate processes (``multiprocessing`` spawn) calling ``hl.worker``; every run
must complete exactly once. PostgreSQL figures appear when the server binaries are installed
(a throwaway server is started, as in the tests). ``HYPERLAB_BENCH_FULL=1`` uses more runs.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import Report, has, out_dir

FULL = os.environ.get("HYPERLAB_BENCH_FULL") == "1"
N_RUNS = 2000 if FULL else 400
N_TRIALS = 1000 if FULL else 200
WORKER_COUNTS = (1, 4, 8)


def noop(x: int) -> dict[str, float]:
    """The queued function: does nothing but return a value."""
    return {"value": float(x)}


def _worker_main(url: str, out: Any) -> None:
    import hyperlab as hl

    try:
        report = hl.worker("bench-queue", store=url, idle_exit_s=1.0, poll_s=0.05, echo=False)
        out.put(("ok", report.claimed, report.claim_latencies_s))
    except Exception as err:  # reported, counted as an error
        out.put(("error", repr(err), []))


def _drain(url: str, workers: int) -> tuple[float, float, list[float], int]:
    """Enqueue N_RUNS no-op runs and drain them; returns (runs/s, s/run, latencies, errors)."""
    import hyperlab as hl
    from hyperlab.store import forget_open_stores

    study = hl.study("bench-queue", store=url)
    start = time.perf_counter()
    result = study.enqueue([{"x": i} for i in range(N_RUNS)], function="bench.bench_queue:noop")
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_worker_main, args=(url, out)) for _ in range(workers)]
    for proc in procs:
        proc.start()
    latencies: list[float] = []
    errors = 0
    claimed = 0
    for _ in procs:
        status, value, lat = out.get()
        if status == "ok":
            claimed += int(value)
            latencies += lat
        else:
            errors += 1
            print("worker error:", value, file=sys.stderr)
    for proc in procs:
        proc.join()
    # The workers wait idle_exit_s after the last run: count time to the last completion.
    runs = study.store.get_runs(result.run_ids)
    end = max((r.ended_at or 0.0) for r in runs)
    wall = end - (time.time() - (time.perf_counter() - start))
    errors += sum(r.state != "completed" for r in runs) + abs(claimed - N_RUNS)
    forget_open_stores()
    return N_RUNS / wall, wall / N_RUNS, latencies, errors


def _overhead_in_process() -> float:
    """Seconds per run from enqueue to completed, one worker in this process (no spawn)."""
    import hyperlab as hl
    from hyperlab.store import forget_open_stores

    db = out_dir("queue") / "hyperlab-overhead.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    url = f"sqlite:///{db}"
    study = hl.study("bench-queue", store=url)
    start = time.perf_counter()
    study.enqueue([{"x": i} for i in range(N_RUNS)], function="bench.bench_queue:noop")
    report = hl.worker("bench-queue", store=url, idle_exit_s=0, echo=False)
    elapsed = time.perf_counter() - start
    assert report.claimed == N_RUNS, report
    forget_open_stores()
    return elapsed / N_RUNS


def _p99(values: list[float]) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def _optuna_worker(storage_kind: str, path: str, n: int, out: Any) -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if storage_kind == "journal":
        from optuna.storages import JournalStorage
        from optuna.storages.journal import JournalFileBackend

        storage: Any = JournalStorage(JournalFileBackend(path))
    else:
        storage = f"sqlite:///{path}"
    study = optuna.load_study(
        study_name="bench", storage=storage, sampler=optuna.samplers.RandomSampler()
    )
    lat, errors = [], 0
    for _ in range(n):
        t0 = time.perf_counter()
        try:
            trial = study.ask()
            x = trial.suggest_float("x", 0, 1)
            study.tell(trial, x)
        except Exception:
            errors += 1
        lat.append(time.perf_counter() - t0)
    out.put((lat, errors))


def _optuna(storage_kind: str, processes: int = 4) -> tuple[float, float, int]:
    import optuna

    folder = out_dir("queue") / f"optuna-{storage_kind}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    path = str(folder / ("journal.log" if storage_kind == "journal" else "optuna.db"))
    if storage_kind == "journal":
        from optuna.storages import JournalStorage
        from optuna.storages.journal import JournalFileBackend

        storage: Any = JournalStorage(JournalFileBackend(path))
    else:
        storage = f"sqlite:///{path}"
    optuna.create_study(study_name="bench", storage=storage)
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    per = N_TRIALS // processes
    procs = [
        ctx.Process(target=_optuna_worker, args=(storage_kind, path, per, out))
        for _ in range(processes)
    ]
    start = time.perf_counter()
    for proc in procs:
        proc.start()
    lat: list[float] = []
    errors = 0
    for _ in procs:
        got, err = out.get()
        lat += got
        errors += err
    for proc in procs:
        proc.join()
    wall = time.perf_counter() - start
    return per * processes / wall, _p99(lat), errors


def _stores() -> list[tuple[str, str, Any]]:
    folder = out_dir("queue")
    found: list[tuple[str, str, Any]] = []
    for workers in WORKER_COUNTS:
        db = folder / f"hyperlab-{workers}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
        found.append(("SQLite", f"sqlite:///{db}", None))
    return found


def main() -> Report:
    report = Report("Queue and workers (no-op function runs)")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    by_workers: dict[tuple[str, int], tuple[float, float, list[float], int]] = {}
    for (backend, url, _), workers in zip(_stores(), WORKER_COUNTS, strict=True):
        by_workers[(backend, workers)] = _drain(url, workers)
    server = None
    try:
        from hyperlab.testing.postgres import PostgresServer, find_bindir

        if find_bindir() is not None and has("psycopg"):
            server = PostgresServer.start()
            for workers in WORKER_COUNTS:
                by_workers[("PostgreSQL", workers)] = _drain(server.create_database(), workers)
        else:
            report.notes.append("PostgreSQL: server binaries or psycopg missing; not measured")
        for (backend, workers), (rate, _per_run, lat, errors) in by_workers.items():
            report.add(
                f"{backend}, {workers} worker(s): runs/s (p99 claim, errors)",
                f"{rate:.0f}/s (p99 {_p99(lat) * 1e3:.1f} ms, {errors} errors)",
                target="p99 <= 50 ms, 0 errors" if workers == 4 else "",
                met=(_p99(lat) <= 0.05 and errors == 0) if workers == 4 else None,
            )
        per_run = _overhead_in_process()
        report.add(
            "SQLite, 1 worker: enqueue to completed, per run",
            f"{per_run * 1e3:.2f} ms",
            target="<= 5 ms",
            met=per_run <= 0.005,
        )
    finally:
        if server is not None:
            server.stop()
    if has("optuna"):
        ours = by_workers[("SQLite", 4)][0]
        rate, p99, errors = _optuna("sqlite")
        report.add(
            "4 processes on one SQLite file: hyperlab workers vs optuna ask/tell (random)",
            f"{ours:.0f}/s",
            peer=f"{rate:.0f}/s (p99 {p99 * 1e3:.0f} ms, {errors} errors)",
            ratio=f"{ours / rate:.1f}x",
            target=">= 5x",
            met=ours >= 5 * rate,
        )
        jrate, jp99, jerrors = _optuna("journal")
        report.add(
            "vs optuna journal-file storage, 4 processes",
            f"{ours:.0f}/s",
            peer=f"{jrate:.0f}/s (p99 {jp99 * 1e3:.0f} ms, {jerrors} errors)",
            ratio=f"{ours / jrate:.1f}x",
            target=">= 1x",
            met=ours >= jrate,
        )
    else:
        report.notes.append("optuna not installed: no side-by-side figures")
    report.notes.append(
        f"{N_RUNS} runs per measurement; workers are spawned processes running hl.worker; "
        "throughput counts enqueue to the last run's end (not the workers' idle exit); the "
        "per-run overhead row runs one worker in the benchmark process (no process start-up)."
    )
    report.notes.append(
        f"median claim latency, SQLite 4 workers: "
        f"{statistics.median(by_workers[('SQLite', 4)][2] or [0]) * 1e3:.1f} ms"
    )
    return report


if __name__ == "__main__":
    print(main().markdown())
