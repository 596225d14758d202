"""Fixtures for execution tests: an isolated store, subprocess helpers and polling."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from hyperlab.store import Store

DEADLINE_S = 60.0
"""How long tests wait for something that normally takes well under a second."""


@pytest.fixture
def store_runs_dir(tmp_path: Path) -> Path:
    """Run directories go under ``tmp_path`` on both backends."""
    return tmp_path / "runs"


@pytest.fixture
def store(default_store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Store:
    """A fresh store on SQLite or PostgreSQL; the test runs in ``tmp_path``."""
    monkeypatch.chdir(tmp_path)
    return default_store


def wait_for(predicate: Callable[[], object], what: str, deadline_s: float = DEADLINE_S) -> None:
    """Poll ``predicate`` until it is true; fail naming ``what`` after the deadline."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {deadline_s:.0f}s waiting for {what}")


def child_env(tmp_path: Path) -> dict[str, str]:
    """Environment of hyperlab subprocesses: venv python first on PATH, tmp_path importable."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = f"{tmp_path}{os.pathsep}{env.get('PYTHONPATH', '')}"
    return env


def hyperlab_proc(store: Store, tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    """Start ``python -m hyperlab --store URL ARGS...`` in ``tmp_path``."""
    return subprocess.Popen(
        [sys.executable, "-m", "hyperlab", "--store", store.url, *args],
        cwd=tmp_path,
        env=child_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    """Wait (with the deadline) for a subprocess; returns (exit code, stdout, stderr)."""
    try:
        out, err = proc.communicate(timeout=DEADLINE_S * 2)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"subprocess did not finish:\n{out}\n{err}") from None
    return proc.returncode, out, err


class Helpers:
    """Subprocess and polling helpers, as a fixture (test modules cannot import conftest)."""

    wait_for = staticmethod(wait_for)
    hyperlab_proc = staticmethod(hyperlab_proc)
    finish = staticmethod(finish)
    child_env = staticmethod(child_env)


@pytest.fixture
def helpers() -> type[Helpers]:
    """The helpers of this folder's conftest."""
    return Helpers
