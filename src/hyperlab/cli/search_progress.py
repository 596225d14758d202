"""A rich progress bar for searches: done, running, pruned/failed and the best value so far.

::

    from hyperlab.cli.search_progress import search_progress

    with search_progress(n_trials=30, metric="val_loss") as callback:
        study.optimize(objective, space=space, n_trials=30, callbacks=[callback])
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hyperlab.search.optimize import TrialResult


@contextlib.contextmanager
def search_progress(
    n_trials: int, metric: str = "value", *, n_jobs: int = 1
) -> Iterator[Callable[[TrialResult], None]]:
    """Show a live progress bar; yields the callback to pass to ``optimize(callbacks=[...])``.

    Args:
        n_trials: The number of trials the search runs.
        metric: The metric's name, shown with the best value.
        n_jobs: Trials run at once (shown as running).
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from hyperlab.cli.context import console

    lock = threading.Lock()
    counts = {"completed": 0, "pruned": 0, "failed": 0, "reused": 0}
    columns = (
        TextColumn("[bold]search"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console(stderr=True), transient=False) as progress:
        running = min(n_jobs, n_trials)
        task = progress.add_task("search", total=n_trials, status=f"running {running}")

        def callback(result: TrialResult) -> None:
            with lock:
                counts["reused" if result.reused else result.state] = (
                    counts.get("reused" if result.reused else result.state, 0) + 1
                )
                left = n_trials - result.n_done
                best = "-" if result.best is None else f"{result.best[0]:.4g}"
                status = (
                    f"running {min(n_jobs, max(left, 0))}  pruned {counts['pruned']}  "
                    f"failed {counts['failed']}  reused {counts['reused']}  best {metric} {best}"
                )
                progress.update(task, completed=result.n_done, status=status)

        yield callback
