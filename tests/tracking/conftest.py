"""Fixtures for tracking tests: an isolated store per test."""

from __future__ import annotations

import pytest

from hyperlab.store import Store


@pytest.fixture
def store(default_store: Store) -> Store:
    """A fresh store on SQLite or PostgreSQL, also the default store of the test."""
    return default_store
