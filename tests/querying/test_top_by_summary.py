"""A limited "best first" query reads the summary index in order; it must agree with a full sort.

Queries with a limit and a metric as first sort key take a separate path (see
``selection._top_by_summary``): these tests compare it with the general path (no limit) on runs
with ties, runs without the metric, runs whose metric is NaN only, and filters over params and
metrics.
"""

from __future__ import annotations

import pytest

import hyperlab as hl
from hyperlab.store import Store, open_store


@pytest.fixture
def store(store_url: str) -> Store:
    store = open_store(store_url)
    study = hl.study("top", directions={"acc": "max"}, store=store)
    items = []
    for k in range(40):
        final = {"acc": round((k * 7 % 13) / 13, 3)} if k % 5 else {}  # ties; some lack acc
        if k % 5:
            final["loss"] = k / 40
        items.append({"params": {"lr": 10 ** -(k % 4), "opt": ["adam", "sgd"][k % 2]},
                      "final": final})  # fmt: skip
    study.record_runs(items)
    hl.study("other", directions={"acc": "max"}, store=store).record_run(
        {"lr": 0.1}, final={"acc": 2.0}
    )
    return store


@pytest.mark.parametrize("expr", [None, 'opt == "adam"', "lr < 0.5 and acc > 0.2", "loss < 0.5"])
@pytest.mark.parametrize("sort", ["-acc", "acc", "-acc,lr", "acc,-opt"])
def test_limited_best_first_equals_the_head_of_the_full_sort(
    store: Store, expr: str | None, sort: str
) -> None:
    full = hl.query(expr, study="top", sort=sort, store=store).index.tolist()
    for limit in (0, 1, 3, 10, len(full), len(full) + 5):
        limited = hl.query(expr, study="top", sort=sort, limit=limit, store=store)
        assert limited.index.tolist() == full[:limit], (expr, sort, limit)


def test_default_sort_is_best_first_with_runs_lacking_the_metric_last(store: Store) -> None:
    frame = hl.query(study="top", limit=40, store=store)
    values = frame["metrics.acc"].tolist()
    present = [v for v in values if v == v]  # NaN marks a run without acc
    assert present == sorted(present, reverse=True)
    assert all(v != v for v in values[len(present) :])
    assert len(values) == 40 and len(present) == 32
    assert 2.0 not in values  # the other study's run stays out
