"""Fixtures for plot tests: a store with two studies, a forked run and a hostile tag."""

from __future__ import annotations

import pytest

import hyperlab as hl
from hyperlab.store import Store

LRS = (0.1, 0.01, 0.001)
OPTIMS = ("sgd", "adam")
STEPS = 20
PEAK = {0.1: 5, 0.01: 12, 0.001: 19}
"""Step at which val_acc peaks, per lr (the curve declines afterwards)."""


def val_acc_curve(lr: float, optim: str) -> list[float]:
    """Rises to a peak at PEAK[lr], then declines; adam is 0.1 better everywhere."""
    bonus = 0.1 if optim == "adam" else 0.0
    peak = PEAK[lr]
    return [0.5 + bonus + 0.02 * (s if s <= peak else 2 * peak - s) for s in range(STEPS)]


@pytest.fixture
def seeded(default_store: Store) -> Store:
    """Study "mnist" (6 completed runs: lr x optim, plus a run forked from mnist/1 at step 9)
    and study "other" (1 run)."""
    store = default_store
    study = hl.study(
        "mnist",
        directions={"val_acc": "max", "loss": "min"},
        defaults={"dropout": 0.0},
        store=store,
    )
    for lr in LRS:
        for optim in OPTIMS:
            curve = val_acc_curve(lr, optim)
            study.record_run(
                {"lr": lr, "optim": {"name": optim}},
                curves={"val_acc": curve, "loss": [1.0 / (1 + s) for s in range(STEPS)]},
                tags=["<script>alert(1)</script>"] if (lr, optim) == (0.1, "sgd") else [],
            )
    child = study.record_run(
        {"lr": 0.1, "optim": {"name": "sgd"}, "dropout": 0.5},
        curves={"val_acc": [(s, 0.9) for s in range(10, 15)]},
        state="running",
    )
    store.update_run(child, parent_run_id=1, fork_step=9)
    hl.study("other", store=store).record_run({"depth": 3}, final={"score": 1.0})
    return store
