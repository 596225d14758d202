"""Fixtures for dashboard tests: a seeded store, an in-process client, a live server, Chromium."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import hyperlab as hl
from hyperlab.store import Store

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
HOSTILE_TAG = "<script>alert(1)</script>"
DEADLINE_S = 60.0


@pytest.fixture
def seeded(default_store: Store, tmp_path: Path) -> Store:
    """Study "mnist": 6 completed runs (lr x optim; mnist/1 tagged with a script tag and with
    stdout in its run directory) and mnist/7 forked from mnist/1 at step 9; study "other";
    study "queue-demo" with two queued runs (their command is never executed)."""
    store = default_store
    study = hl.study(
        "mnist",
        directions={"val_acc": "max", "loss": "min"},
        defaults={"dropout": 0.0},
        store=store,
    )
    run_dir = tmp_path / "run1"
    run_dir.mkdir()
    (run_dir / "stdout.txt").write_text("epoch 1 done\nall good\n")
    for lr in (0.1, 0.01, 0.001):
        for optim in ("sgd", "adam"):
            bonus = 0.1 if optim == "adam" else 0.0
            study.record_run(
                {"lr": lr, "optim": {"name": optim}},
                curves={
                    "val_acc": [0.5 + bonus + lr * s for s in range(20)],
                    "loss": [1.0 / (1 + s) for s in range(20)],
                },
                tags=[HOSTILE_TAG] if (lr, optim) == (0.1, "sgd") else [],
                run_dir=str(run_dir) if (lr, optim) == (0.1, "sgd") else None,
            )
    child = study.record_run(
        {"lr": 0.1, "optim": {"name": "sgd"}, "dropout": 0.5},
        curves={"val_acc": [(s, 0.9) for s in range(10, 15)]},
    )
    store.update_run(child, parent_run_id=1, fork_step=9)
    hl.study("other", store=store).record_run({"depth": 3}, final={"score": 1.0})
    hl.study("queue-demo", store=store).enqueue([{"n": 1}, {"n": 2}], command="true")
    return store


class LiveServer:
    """uvicorn serving an app on a free loopback port, in a background thread."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_level="warning", ws="none", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + DEADLINE_S
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the dashboard server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(DEADLINE_S)
        self.sock.close()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (skips locally when missing, fails in CI)."""
    from hyperlab.testing.services import service_missing

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        service_missing("playwright is not installed (pip install playwright)")
    if not Path(CHROMIUM).exists():
        service_missing(f"{CHROMIUM} not found (apt-get install chromium chromium-driver)")
    manager = sync_playwright().start()
    browser = manager.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()
    manager.stop()


@pytest.fixture
def artifacts(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """Where screenshots go: ``$HYPERLAB_TEST_ARTIFACTS/<test>`` (CI uploads it), else tmp_path."""
    root = os.environ.get("HYPERLAB_TEST_ARTIFACTS")
    if not root:
        return tmp_path
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in request.node.name)
    target = Path(root) / safe
    target.mkdir(parents=True, exist_ok=True)
    return target


@pytest.fixture
def page(chromium: Any, artifacts: Path) -> Iterator[Any]:
    """A fresh browser page (own cookies) that records dialogs and page errors; a screenshot
    of the last page is saved in ``artifacts``."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(30_000)
    tab = context.new_page()
    tab.dialogs = []
    tab.errors = []
    tab.on("dialog", lambda d: (tab.dialogs.append(d.message), d.dismiss()))
    tab.on("pageerror", lambda e: tab.errors.append(str(e)))
    yield tab
    tab.screenshot(path=str(artifacts / "last-page.png"), full_page=True)
    context.close()
