"""Settings: one declarative table, resolved as flag > environment (``HYPERLAB_*``) > default.

This is the only module that reads the environment, so library functions stay explicit and
testable. Every setting is looked up when asked for (not at import), so tests and subprocesses
can change the environment freely.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Final

from hyperlab.errors import ConfigError


@dataclass(frozen=True)
class Setting:
    """One setting: its environment variable, default and meaning."""

    env: str
    default: str | None
    help: str


SETTINGS: Final[dict[str, Setting]] = {
    "store": Setting(
        "HYPERLAB_STORE",
        None,
        "Store URL (sqlite:///path or postgresql+psycopg://...). Default: the nearest "
        ".hyperlab/ folder walking up from the current directory, else ./.hyperlab/hyperlab.db.",
    ),
    "runs_dir": Setting(
        "HYPERLAB_RUNS_DIR",
        None,
        "Where run directories live. Default: runs/ beside a SQLite store, else ./.hyperlab/runs.",
    ),
    "cache_dir": Setting(
        "HYPERLAB_CACHE_DIR",
        None,
        "Where the stage cache (run.stage) keeps outputs. Default: cache/ beside the run "
        "directories (.hyperlab/cache for a SQLite store).",
    ),
    "flush_interval_s": Setting(
        "HYPERLAB_FLUSH_INTERVAL_S", "0.25", "How often buffered metric points are written."
    ),
    "heartbeat_interval_s": Setting(
        "HYPERLAB_HEARTBEAT_INTERVAL_S", "10", "How often a running run proves it is alive."
    ),
    "run_id": Setting(
        "HYPERLAB_RUN_ID",
        None,
        "Set by `hyperlab run` and workers in a tracked command: hl.current_run() attaches to it.",
    ),
    "debug": Setting("HYPERLAB_DEBUG", "0", "Show full tracebacks in the CLI (1 to enable)."),
    "capture_git": Setting(
        "HYPERLAB_CAPTURE_GIT", "1", "Record git commit, branch and dirty diff (0 to disable)."
    ),
}


def get_setting(name: str, flag: str | None = None) -> str | None:
    """Resolve a setting: an explicit flag wins, then the environment, then the default.

    Args:
        name: A key of :data:`SETTINGS`.
        flag: A value given explicitly (command-line flag or function argument).

    Returns:
        The resolved text value, or None when nothing sets it.
    """
    if flag is not None:
        return flag
    setting = SETTINGS[name]
    value = os.environ.get(setting.env)
    if value is not None and value != "":
        return value
    return setting.default


def get_float(name: str, flag: float | None = None) -> float:
    """Resolve a numeric setting; a non-numeric environment value is a clear error."""
    if flag is not None:
        return float(flag)
    text = get_setting(name)
    try:
        return float(text if text is not None else "nan")
    except ValueError:
        env = SETTINGS[name].env
        raise ConfigError(f"{env}={text!r} is not a number; set it to e.g. 0.25") from None


def get_bool(name: str, flag: bool | None = None) -> bool:
    """Resolve a boolean setting (1/true/yes/on are true)."""
    if flag is not None:
        return flag
    text = (get_setting(name) or "").strip().lower()
    return text in {"1", "true", "yes", "on"}
