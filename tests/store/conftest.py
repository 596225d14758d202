"""Fixtures for store tests: a fresh store on each backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hyperlab.store import Store, forget_open_stores, open_store


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A fresh, empty store on SQLite or PostgreSQL (see ``store_url`` in tests/conftest.py)."""
    forget_open_stores()
    yield open_store(store_url)
    forget_open_stores()
