"""What hyperlab records about where and how a run ran: host, user, Python, git, packages.

Everything here is computed once per process and cached: the code, interpreter and machine do not
change between runs of one process, and a git call costs milliseconds we do not want per run.
"""

from __future__ import annotations

import functools
import getpass
import os
import platform
import socket
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from hyperlab import settings

ML_PACKAGES = (
    "torch",
    "tensorflow",
    "jax",
    "jaxlib",
    "keras",
    "scikit-learn",
    "xgboost",
    "lightgbm",
    "catboost",
    "transformers",
    "lightning",
    "pytorch-lightning",
    "numpy",
    "pandas",
    "scipy",
    "optuna",
    "hydra-core",
    "hyperlab",
)
GIT_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class GitInfo:
    """The state of the git work tree a run was started from."""

    commit: str | None
    branch: str | None
    dirty: bool | None
    diff: str | None


def _git(args: list[str], cwd: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


@functools.lru_cache(maxsize=8)
def git_info(cwd: str) -> GitInfo:
    """Commit, branch and dirty state of the repository containing ``cwd`` (cached)."""
    if not settings.get_bool("capture_git"):
        return GitInfo(None, None, None, None)
    commit = _git(["rev-parse", "HEAD"], cwd)
    if commit is None:
        return GitInfo(None, None, None, None)
    branch = _git(["rev-parse", "--abbrev-ref", "HEAD"], cwd)
    status = _git(["status", "--porcelain", "--untracked-files=no"], cwd)
    dirty = bool(status and status.strip())
    diff = _git(["diff", "HEAD"], cwd) if dirty else None
    return GitInfo(commit.strip(), branch.strip() if branch else None, dirty, diff)


@functools.lru_cache(maxsize=1)
def package_versions() -> dict[str, str]:
    """Versions of the ML-related packages installed in this environment."""
    found = {}
    for name in ML_PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


@functools.lru_cache(maxsize=1)
def _static() -> dict[str, Any]:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = None
    return {
        "host": socket.gethostname(),
        "user": user,
        "python_version": platform.python_version(),
        "platform": platform.platform(terse=True),
    }


def run_fields(cwd: str | None = None) -> dict[str, Any]:
    """Columns of a new run describing this process (see ``runs`` in the schema)."""
    here = cwd or os.getcwd()
    git = git_info(here)
    return {
        **_static(),
        "pid": os.getpid(),
        "cwd": here,
        "command": " ".join(sys.argv) if sys.argv and sys.argv[0] else None,
        "git_commit": git.commit,
        "git_branch": git.branch,
        "git_dirty": git.dirty,
        "env": {
            "argv": list(sys.argv),
            "executable": sys.executable,
            "packages": package_versions(),
        },
    }


def save_git_diff(run_dir: Path, cwd: str | None = None) -> None:
    """Write the uncommitted diff into the run directory when the work tree is dirty."""
    git = git_info(cwd or os.getcwd())
    if git.dirty and git.diff:
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "git.diff").write_text(git.diff, encoding="utf-8")
