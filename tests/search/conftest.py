"""Fixtures for search tests: an isolated store per test and a small synthetic problem."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import hyperlab as hl
from hyperlab.search import asktell
from hyperlab.store import Store, forget_open_stores, open_store
from hyperlab.tracking import writer


@pytest.fixture
def store(store_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """A fresh store on SQLite or PostgreSQL, also the default store of the test."""
    monkeypatch.setenv("HYPERLAB_STORE", store_url)
    forget_open_stores()
    asktell._SESSIONS.clear()
    yield open_store(store_url)
    asktell._SESSIONS.clear()
    for w in list(writer._STRONG.values()):
        w.close()
    writer._STRONG.clear()
    forget_open_stores()


@pytest.fixture
def study(store: Store) -> hl.Study:
    """A study minimising ``loss``."""
    return hl.study("search-test", directions={"loss": "min"}, store=store)
