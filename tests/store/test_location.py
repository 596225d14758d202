"""Where the default store lives: HYPERLAB_STORE, the nearest .hyperlab/, else ./.hyperlab/."""

from __future__ import annotations

from pathlib import Path

import pytest

from hyperlab.errors import ConfigError
from hyperlab.store import resolve_url


def test_nearest_hyperlab_folder_is_found_walking_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".hyperlab").mkdir()
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    assert resolve_url() == f"sqlite:///{tmp_path.resolve()}/.hyperlab/hyperlab.db"


def test_without_a_folder_the_current_directory_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert resolve_url() == f"sqlite:///{tmp_path.resolve()}/.hyperlab/hyperlab.db"


def test_environment_and_explicit_urls_win(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HYPERLAB_STORE", str(tmp_path / "env.db"))
    assert resolve_url() == f"sqlite:///{tmp_path.resolve()}/env.db"
    assert resolve_url("sqlite:///x.db") == "sqlite:///x.db"
    assert resolve_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"


def test_unknown_schemes_are_refused_with_the_valid_forms() -> None:
    with pytest.raises(ConfigError, match="'mysql'.*sqlite:///.*postgresql\\+psycopg://"):
        resolve_url("mysql://u@h/db")
