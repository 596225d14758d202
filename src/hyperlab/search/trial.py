"""The link between a hyperlab :class:`~hyperlab.tracking.run.Run` and the search driving it.

A run started by a search holds a :class:`TrialContext` (``run._search``): ``run.suggest_*``,
``run.report`` and ``run.should_prune`` go through it to the sampler and the pruner.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any

from hyperlab.errors import InvalidValueError

if TYPE_CHECKING:
    from hyperlab.search.session import Proposal, SearchSession
    from hyperlab.space.distributions import Distribution


class TrialContext:
    """One run's view of its search: suggestions, intermediate values and the prune decision.

    Args:
        session: The search session.
        proposal: The configuration the run executes.
        pruning: Whether ``should_prune`` may say yes (off for repeats and several metrics).
    """

    def __init__(
        self, session: SearchSession, proposal: Proposal, *, pruning: bool = True
    ) -> None:
        self.session = session
        self.proposal = proposal
        self.pruning = pruning and not session.target.multi
        self._reported: set[int] = set()

    @property
    def metric(self) -> str:
        """The metric ``run.report`` logs (the search's first metric)."""
        return self.session.target.metrics[0]

    def suggest(self, name: str, dist: Distribution) -> Any:
        """A value for ``name`` from the sampler."""
        return self.session.suggest(self.proposal.trial, name, dist)

    def report(self, value: float, step: int) -> None:
        """Give the pruner an intermediate value of the metric at ``step``."""
        if not self.pruning or step in self._reported or math.isnan(value):
            return
        self._reported.add(step)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.proposal.trial.report(value, step)

    def should_prune(self) -> bool:
        """Whether the pruner says this run is doing worse than the study's other runs."""
        if not self.pruning or not self._reported:
            return False
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return bool(self.proposal.trial.should_prune())


def objective_values(
    result: Any, metrics: tuple[str, ...]
) -> tuple[list[float], dict[str, float]]:
    """The searched metrics' values from what an objective returned, plus all values to store.

    An objective returns a number (the one metric), a sequence (one per metric) or a dict of
    metric values (extra keys are stored too).

    Raises:
        InvalidValueError: when the result does not give every searched metric a number.
    """
    if isinstance(result, dict):
        missing = [m for m in metrics if m not in result]
        if missing:
            raise InvalidValueError(
                f"the objective returned {sorted(result)!r} without {', '.join(missing)}; "
                f"return a dict with {', '.join(metrics)}"
            )
        stored = {str(k): _number(k, v) for k, v in result.items()}
        return [stored[m] for m in metrics], stored
    if isinstance(result, (list, tuple)):
        if len(result) != len(metrics):
            raise InvalidValueError(
                f"the objective returned {len(result)} values for {len(metrics)} metrics "
                f"({', '.join(metrics)}): {result!r}"
            )
        stored = {m: _number(m, v) for m, v in zip(metrics, result, strict=True)}
        return list(stored.values()), stored
    if len(metrics) != 1:
        raise InvalidValueError(
            f"the objective returned {result!r}; with several metrics return a dict with "
            f"{', '.join(metrics)}"
        )
    value = _number(metrics[0], result)
    return [value], {metrics[0]: value}


def _number(name: Any, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        item = getattr(value, "item", None)
        if callable(item):
            value = item()
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidValueError(
                f"the objective's value for {name!r} must be a number, got {value!r}"
            )
    return float(value)
