"""Fixtures for CLI tests: a seeded store and a runner with a fixed-width console."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from click.testing import CliRunner, Result

import hyperlab as hl
from hyperlab.cli.main import cli
from hyperlab.store import Store, forget_open_stores, open_store
from hyperlab.tracking import writer

Invoke = Callable[..., Result]


@pytest.fixture
def seeded(store_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """A store with study "mnist" (5 runs: lr x optimizer, one failed) and study "other"."""
    monkeypatch.setenv("HYPERLAB_CAPTURE_GIT", "0")
    monkeypatch.setenv("COLUMNS", "200")
    forget_open_stores()
    store = open_store(store_url)
    study = hl.study(
        "mnist", directions={"val_acc": "max"}, defaults={"dropout": 0.0}, store=store
    )
    configs = [
        (0.1, "sgd", 0.80),
        (0.01, "adam", 0.95),
        (0.001, "adam", 0.90),
        (0.01, "sgd", 0.85),
    ]
    for lr, optim, acc in configs:
        with study.start_run(
            params={"lr": lr, "optim": {"name": optim}, "epochs": 3},
            tags=["baseline"] if optim == "sgd" else [],
        ) as run:
            for epoch in range(3):
                run.log(step=epoch, val_acc=acc * (epoch + 1) / 3, loss=1 - acc)
    crashing = {"lr": 1.0, "optim": {"name": "sgd"}}
    with pytest.raises(RuntimeError), study.start_run(params=crashing):
        raise RuntimeError("exploded")
    hl.study("other", store=store).record_run({"depth": 3}, final={"score": 1.0})
    yield store
    for w in list(writer._STRONG.values()):
        w.close()
    writer._STRONG.clear()
    forget_open_stores()


@pytest.fixture
def invoke(seeded: Store) -> Invoke:
    """Run ``hyperlab --store URL ARGS...`` in process; returns click's Result."""
    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> Result:
        return runner.invoke(
            cli,
            ["--store", seeded.url, *args],
            input=input,
            catch_exceptions=False,
            terminal_width=200,
        )

    return run
