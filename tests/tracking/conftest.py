"""Fixtures for tracking tests: an isolated store per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hyperlab.store import Store, forget_open_stores, open_store
from hyperlab.tracking import writer


@pytest.fixture
def store(store_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """A fresh store on SQLite or PostgreSQL, also the default store of the test."""
    monkeypatch.setenv("HYPERLAB_STORE", store_url)
    monkeypatch.setenv("HYPERLAB_CAPTURE_GIT", "0")
    forget_open_stores()
    yield open_store(store_url)
    for w in list(writer._STRONG.values()):
        w.close()
    writer._STRONG.clear()
    forget_open_stores()
