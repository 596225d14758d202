"""The search methods of :class:`~hyperlab.tracking.study.Study` (optimize, ask/tell, best, ...).

They live in :mod:`hyperlab.search`, a layer above tracking, and are imported when called.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from hyperlab.store import RunRecord
    from hyperlab.tracking.run import Run
    from hyperlab.tracking.study import Study


class StudySearchMixin:
    """``study.optimize``, ``ask``, ``tell``, ``best_params``, ``set_default``, ``find``, ..."""

    def _self(self) -> Study:
        return self  # type: ignore[return-value]

    def optimize(self, objective: Any, **options: Any) -> Study:
        """Search this study's params: ``hl.optimize(objective, study=self, **options)``."""
        from hyperlab.search import optimize

        return optimize(objective, study=self._self(), **options)

    def ask(self, space: Any = None, **options: Any) -> Run:
        """A run with params proposed by the sampler (warm-started by all past runs).

        Finish it with :meth:`tell`. Options as :func:`hyperlab.search.ask`: ``sampler``,
        ``metric``, ``direction``, ``seed``, ``pruner``, ``repeat``, ``tags``.
        """
        from hyperlab.search import ask

        return ask(self._self(), space, **options)

    def tell(self, run: Run, values: Any = None, *, state: str | None = None) -> None:
        """Finish a run from :meth:`ask` with its value (or dict of values), or a state."""
        from hyperlab.search import tell

        tell(self._self(), run, values, state=state)

    def best_params(self, metric: str | None = None) -> dict[str, Any]:
        """The effective params of the best completed run (by the main metric by default)."""
        from hyperlab.search import best_params

        return best_params(self._self(), metric)

    def best_run(self, metric: str | None = None) -> RunRecord | None:
        """The best completed run by ``metric`` (default: the main metric), or None."""
        from hyperlab.search import best_run

        return best_run(self._self(), metric)

    def trials(self, metric: str | None = None) -> pd.DataFrame:
        """Finished runs as a DataFrame, best first by ``metric`` (default: the main metric)."""
        from hyperlab.search import trials_frame

        return trials_frame(self._self(), metric)

    def pareto_front(self, metrics: Sequence[str] | None = None) -> pd.DataFrame:
        """Completed runs no other run beats on every metric (default: all declared)."""
        from hyperlab.search import pareto_front

        return pareto_front(self._self(), metrics)

    def set_default(
        self, name: str, value: Any, *, when: str | None = None, force: bool = False
    ) -> int:
        """Declare a param default (``when``: a condition such as ``"lr < 0.001"``).

        Stored runs are never rewritten; changing an existing default needs ``force=True``.
        Returns how many runs' effective params change.
        """
        from hyperlab.search.defaults import set_default

        return set_default(self._self(), name, value, when=when, force=force)

    def find(self, params: Mapping[str, Any]) -> list[RunRecord]:
        """Finished runs with the same configuration (equal effective params), oldest first."""
        from hyperlab.querying.configs import find_runs
        from hyperlab.store import FINISHED_STATES

        study = self._self()
        record = study.refresh().record
        finished = [s.value for s in FINISHED_STATES]
        return study.store.get_runs(find_runs(study.store, record, params, states=finished))

    def config_summary(self, metric: str | None = None) -> pd.DataFrame:
        """Per configuration (``seed`` ignored): mean, std, min, max and count of ``metric``."""
        from hyperlab.search import config_summary

        return config_summary(self._self(), metric)
