"""The dashboard's API and page on 100,000 runs, and MLflow's search on the same kind of runs.

Targets (issue 6): first page of the runs API <= 200 ms; a 1,000,000-point curve downsampled to
<= 2,000 points in <= 100 ms; the runs page interactive in Chromium <= 1.5 s. The MLflow figure
is ``search_runs`` (what its UI server's search endpoint calls) in process, so it carries no
HTTP cost while ours does: the comparison favours MLflow.
"""

from __future__ import annotations

import socket
import threading
import time
import warnings
from pathlib import Path
from typing import Any

from bench.common import Report, best_of, fmt_time, has, out_dir
from bench.stores import hyperlab_store, mlflow_store

CHROMIUM = "/usr/bin/chromium"
CURVE_POINTS = 1_000_000


def _curve_store() -> tuple[str, int]:
    import numpy as np

    import hyperlab as hl

    path = out_dir("dashboard") / "curve.db"
    path.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    values = np.random.default_rng(0).random(CURVE_POINTS).tolist()
    run_id = hl.study("curve", store=url).record_run({"x": 1}, curves={"loss": values})
    return url, run_id


def _page_seconds(app: Any) -> float | None:
    if not (has("playwright") and Path(CHROMIUM).exists()):
        return None
    import uvicorn
    from playwright.sync_api import sync_playwright

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws="none", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox",
                                         "--disable-gpu", "--disable-dev-shm-usage"])  # fmt: skip
            page = browser.new_page()

            def load() -> None:
                page.goto("about:blank")
                page.goto(f"http://127.0.0.1:{port}/#/runs")
                page.wait_for_selector("#runs-table tbody tr", timeout=60_000)

            seconds = best_of(load, 5)
            browser.close()
    finally:
        server.should_exit = True
        thread.join(60)
        sock.close()
    return seconds


def main() -> Report:
    warnings.filterwarnings("ignore")
    from starlette.testclient import TestClient

    from hyperlab.store import open_store
    from hyperlab.web import create_app

    report = Report("Dashboard (SQLite)")
    app = create_app(open_store(hyperlab_store(100_000)))
    client = TestClient(app)
    first = best_of(lambda: client.get("/api/runs?limit=50").raise_for_status(), 7)
    report.add("100k runs: first page of /api/runs", fmt_time(first), target="<= 200 ms",
               met=first <= 0.2)  # fmt: skip
    query = "/api/runs?limit=50&q=lr%20%3C%200.001&sort=-val_acc"
    filtered = best_of(lambda: client.get(query).raise_for_status(), 7)
    report.add("100k runs: filtered, sorted page", fmt_time(filtered), target="<= 200 ms",
               met=filtered <= 0.2)  # fmt: skip

    url, run_id = _curve_store()
    curve_client = TestClient(create_app(open_store(url)))
    path = f"/api/curves?runs={run_id}&metric=loss&max_points=2000"
    points = len(curve_client.get(path).json()["curves"][0]["x"])
    curve = best_of(lambda: curve_client.get(path).raise_for_status(), 7)
    report.add(f"1M-point curve -> {points} points via /api/curves", fmt_time(curve),
               target="<= 100 ms", met=curve <= 0.1 and points <= 2000)  # fmt: skip

    seconds = _page_seconds(app)
    if seconds is None:
        report.notes.append("Chromium or playwright missing: no page-load figure.")
    else:
        report.add("100k runs: runs page interactive in Chromium", fmt_time(seconds),
                   target="<= 1.5 s", met=seconds <= 1.5)  # fmt: skip

    small = TestClient(create_app(open_store(hyperlab_store(10_000))))
    ours = best_of(lambda: small.get("/api/runs?limit=50&sort=-val_acc").raise_for_status(), 7)
    ml_uri = mlflow_store(10_000)
    if ml_uri is None:
        report.notes.append("MLflow not installed: no MLflow figures.")
        report.add("10k runs: top-50 page via /api/runs", fmt_time(ours))
        return report
    import mlflow

    mlflow.set_tracking_uri(ml_uri)
    exp = [mlflow.get_experiment_by_name("bench").experiment_id]  # type: ignore[union-attr]
    peer = best_of(lambda: mlflow.search_runs(exp, order_by=["metrics.val_acc DESC"],
                                              max_results=50), 5)  # fmt: skip
    report.add("10k runs: top-50 page (ours over HTTP API vs MLflow search_runs)", fmt_time(ours),
               fmt_time(peer), f"{peer / ours:,.1f}x")  # fmt: skip
    return report


if __name__ == "__main__":
    print(main().markdown())
