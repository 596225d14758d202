"""A small store with runs chosen to exercise every corner of the query language."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

import hyperlab as hl
from hyperlab.store import Store


def epoch(text: str) -> float:
    """Epoch seconds of an ISO date-time in UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()


@pytest.fixture
def qstore(default_store: Store) -> Store:
    """Study "q" (runs q/1..q/5, see the table below) and study "amb" (ambiguous names).

    ====  ======  =========  =======  ====================  =================  =========
    run   lr      optim      dropout  val_acc (summary)     val_loss points    tags
    ====  ======  =========  =======  ====================  =================  =========
    q/1   0.1     sgd        0.5      best 0.7 (last 0.6)   1.0, 0.5, 0.7      baseline
    q/2   0.01    adam       default  final 0.95            0.3, 0.2           baseline, fast
    q/3   0.001   adam       0.0      best 0.9              -                  -
    q/4   -       rmsprop    default  -                     -                  - (failed)
    q/5   0.05    sgd        default  final 0.85            -                  -
    ====  ======  =========  =======  ====================  =================  =========
    """
    store = default_store
    study = hl.study(
        "q",
        directions={"val_acc": "max", "val_loss": "min"},
        defaults={"dropout": 0.0},
        store=store,
    )
    study.record_run(
        {"lr": 0.1, "optim": {"name": "sgd"}, "dropout": 0.5},
        curves={"val_acc": [0.5, 0.7, 0.6], "val_loss": [1.0, 0.5, 0.7]},
        tags=["baseline"],
        meta={"dataset": "digits"},
        started_at=epoch("2026-11-01T10:00:00"),
        ended_at=epoch("2026-11-01T10:01:40"),
    )
    study.record_run(
        {"lr": 0.01, "optim": {"name": "adam"}},
        final={"val_acc": 0.95},
        curves={"val_loss": [0.3, 0.2]},
        tags=["baseline", "fast"],
        started_at=epoch("2026-10-01T08:00:00"),
        ended_at=epoch("2026-10-01T08:00:10"),
    )
    study.record_run(
        {"lr": 0.001, "optim": {"name": "adam"}, "dropout": 0.0},
        curves={"val_acc": [0.8, 0.9]},
    )
    study.record_run(
        {"optim": {"name": "rmsprop"}, "note": 'it\'s "quoted"'},
        state="failed",
    )
    study.record_run(
        {"lr": 0.05, "optim": {"name": "sgd"}, "layers": [64, 32], "größe": "ü"},
        final={"val_acc": 0.85},
        meta={"dataset": "mnist"},
    )
    amb = hl.study("amb", store=store)
    amb.record_run({"score": 1, "host_name": "a"}, final={"score": 0.5})
    return store
