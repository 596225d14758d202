"""The runs open in this process, innermost last (for ``hl.current_run()`` and exit handling)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hyperlab.tracking.run import Run

_RUNS: list[Run] = []
_LOCK = threading.Lock()


def push(run: Run) -> None:
    """Record that ``run`` started."""
    with _LOCK:
        _RUNS.append(run)


def remove(run: Run) -> None:
    """Record that ``run`` ended."""
    with _LOCK:
        if run in _RUNS:
            _RUNS.remove(run)


def current() -> Run | None:
    """The innermost open run, if any."""
    with _LOCK:
        return _RUNS[-1] if _RUNS else None


def all_runs() -> list[Run]:
    """Every open run, innermost first."""
    with _LOCK:
        return list(reversed(_RUNS))
