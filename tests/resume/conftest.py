"""Fixtures for resume / fork / extend / stage tests: an isolated store and a tiny real model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hyperlab.store import Store, forget_open_stores, open_store
from hyperlab.tracking import writer


@pytest.fixture
def store(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """A fresh store on SQLite or PostgreSQL, also the default store of the test.

    Run directories (checkpoints) and the stage cache live under ``tmp_path`` on both backends.
    """
    monkeypatch.setenv("HYPERLAB_STORE", store_url)
    monkeypatch.setenv("HYPERLAB_RUNS_DIR", str(tmp_path / "hl" / "runs"))
    monkeypatch.setenv("HYPERLAB_CAPTURE_GIT", "0")
    forget_open_stores()
    yield open_store(store_url)
    for w in list(writer._STRONG.values()):
        w.close()
    writer._STRONG.clear()
    forget_open_stores()


@pytest.fixture(scope="session")
def dataset() -> tuple[Any, Any]:
    """A small, fixed binary classification problem."""
    from sklearn.datasets import make_classification

    return make_classification(n_samples=120, n_features=6, random_state=0)
