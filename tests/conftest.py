"""Fixtures shared by the whole suite: an isolated environment and stores on both backends.

Every test runs with a throwaway ``HOME`` and no ``HYPERLAB_STORE`` so that nothing a test does
can reach the real home directory or a user's store. ``store_url`` is parametrized over SQLite
and a throwaway PostgreSQL server (one per pytest worker, one fresh database per test).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from hyperlab.store import Store, forget_open_stores, open_store
from hyperlab.testing.postgres import PostgresServer, find_bindir
from hyperlab.testing.services import in_ci, service_missing
from hyperlab.tracking import writer

# CI replays the same examples on every run (derandomize): a property test may find a new bug
# locally, where examples are random, but it never turns CI red at random. No deadlines: the
# machines are shared and the first example of a test pays for imports.
settings.register_profile(
    "ci", derandomize=True, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow],
)  # fmt: skip
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if in_ci() else "dev")


@pytest.fixture(autouse=True)
def _isolated_environment(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("HYPERLAB_CAPTURE_GIT", "0")
    monkeypatch.delenv("HYPERLAB_STORE", raising=False)
    monkeypatch.delenv("HYPERLAB_RUN_ID", raising=False)
    monkeypatch.delenv("HYPERLAB_RUN_DIR", raising=False)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for this pytest worker, started from the installed binaries."""
    if find_bindir() is None:
        service_missing("PostgreSQL server binaries not found (apt-get install postgresql)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        service_missing("psycopg is not installed (pip install 'hyperlab[postgres]')")
    try:
        server = PostgresServer.start()
    except RuntimeError as exc:
        service_missing(f"could not start PostgreSQL: {exc}")
    yield server
    server.stop()


@pytest.fixture
def postgres_url(
    postgres_server: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """A fresh, empty PostgreSQL database (run directories go under the test's tmp_path)."""
    # Without a SQLite file to sit beside, run directories would land in ./.hyperlab/runs.
    monkeypatch.setenv("HYPERLAB_RUNS_DIR", str(tmp_path / "runs"))
    return postgres_server.create_database()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite file store."""
    return f"sqlite:///{tmp_path / 'store' / 'hyperlab.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh store URL on each backend: SQLite, then PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store' / 'hyperlab.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def store_runs_dir() -> Path | None:
    """Where ``default_store`` puts run directories (None: the store's own default).

    A folder's conftest overrides this fixture to keep run directories under ``tmp_path``.
    """
    return None


@pytest.fixture
def default_store(
    store_url: str, store_runs_dir: Path | None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Store]:
    """A fresh store on each backend, also the test's default store (``HYPERLAB_STORE``).

    Afterwards the background metric writers are closed and cached stores forgotten, so no
    thread or connection outlives the test.
    """
    monkeypatch.setenv("HYPERLAB_STORE", store_url)
    if store_runs_dir is not None:
        monkeypatch.setenv("HYPERLAB_RUNS_DIR", str(store_runs_dir))
    forget_open_stores()
    yield open_store(store_url)
    for w in list(writer._STRONG.values()):
        w.close()
    writer._STRONG.clear()
    forget_open_stores()
