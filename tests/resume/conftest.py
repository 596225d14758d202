"""Fixtures for resume / fork / extend / stage tests: an isolated store and a tiny real model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hyperlab.store import Store


@pytest.fixture
def store_runs_dir(tmp_path: Path) -> Path:
    """Run directories (checkpoints) and the stage cache live under ``tmp_path``."""
    return tmp_path / "hl" / "runs"


@pytest.fixture
def store(default_store: Store) -> Store:
    """A fresh store on SQLite or PostgreSQL, also the default store of the test.

    Run directories (checkpoints) and the stage cache live under ``tmp_path`` on both backends.
    """
    return default_store


@pytest.fixture(scope="session")
def dataset() -> tuple[Any, Any]:
    """A small, fixed binary classification problem."""
    from sklearn.datasets import make_classification

    return make_classification(n_samples=120, n_features=6, random_state=0)
