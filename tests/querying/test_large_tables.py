"""Large tables (thousands of runs) take the bulk read path: same values as the small path.

Above a few thousand ids, run rows and summaries are read by id range and per metric key
instead of ``IN`` lists (``store/table_reads.py``); runs of other studies inside the range,
deleted runs and runs without some metric or param must not leak in or shift values.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

import hyperlab as hl
from hyperlab.store import Store, open_store

N = 2600


@pytest.fixture
def store(sqlite_url: str) -> Store:
    store = open_store(sqlite_url)
    main = hl.study("big", directions={"acc": "max"}, defaults={"extra": -1}, store=store)
    other = hl.study("noise", store=store)
    items = []
    for k in range(N):
        params = {"k": k, "opt": ["adam", "sgd"][k % 2], "lr": 1 / (k + 1)}
        if k % 7 == 0:
            params["extra"] = k
        final = {"acc": k / N} if k % 3 else {}
        if k % 5 == 0:
            final["loss"] = -k
        items.append({"params": params, "final": final, "tags": ["t"] if k % 11 == 0 else []})
        if k % 50 == 0:  # interleave another study's runs inside the id range
            main.record_runs(items)
            other.record_run({"k": -k}, final={"acc": 99.0})
            items = []
    main.record_runs(items)
    doomed = hl.query("k < 30", study="big", sort="k", store=store)
    store.delete_runs([int(i) for i in doomed.index[:10]])
    return store


def test_bulk_path_matches_the_small_path_row_by_row(store: Store) -> None:
    whole = hl.query(study="big", sort="k", store=store)
    assert len(whole) == N - 10
    assert (whole["study"] == "big").all()
    part = hl.query("k >= 1000 and k < 2000", study="big", sort="k", store=store)  # 1000 ids
    assert len(part) == 1000
    for run_id, row in part.iterrows():
        full = whole.loc[run_id]
        for column in part.columns:
            a, b = row[column], full[column]
            same = (
                (pd.isna(a) and pd.isna(b)) if not isinstance(a, list) and pd.isna(a) else a == b
            )
            assert same, (run_id, column, a, b)


def test_bulk_values_are_where_they_belong(store: Store) -> None:
    frame = hl.query(study="big", store=store)
    for _, row in frame.iterrows():
        k = int(row["params.k"])
        assert row["params.lr"] == pytest.approx(1 / (k + 1))
        assert row["params.extra"] == (k if k % 7 == 0 else -1)  # the default fills in
        if k % 3:
            assert row["metrics.acc"] == pytest.approx(k / N)
        else:
            assert math.isnan(row["metrics.acc"])
        assert (row["metrics.loss"] == -k) if k % 5 == 0 else math.isnan(row["metrics.loss"])
        assert row["tags"] == (["t"] if k % 11 == 0 else [])
    acc = frame["metrics.acc"].tolist()
    present = [a for a in acc if not math.isnan(a)]
    assert present == sorted(present, reverse=True)  # default sort: best first, missing last
